"""Custom Rasa input channels (WeChat Official Account, city-app H5)."""
