"""The Rasa project: config, domain, stories and rules, and custom channels."""

from bot import rasa_fixes

rasa_fixes.apply()
