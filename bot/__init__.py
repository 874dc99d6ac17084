"""The Rasa project: config, domain, stories and rules, and custom channels."""
