"""The cogs the bot loads, in one place."""

EXTENSIONS: tuple[str, ...] = ("cogs.owner",)
