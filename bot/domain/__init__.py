"""The bot's domain core: plain facts and rules that import nothing else of the bot."""
