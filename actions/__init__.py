"""The rasa-sdk action server: one module per flow, and one backend client."""
