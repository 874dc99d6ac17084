"""Custom NLU components for the Rasa pipeline (bot/config.yml names them by module path)."""
