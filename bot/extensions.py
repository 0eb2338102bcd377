"""The cogs the bot loads, in one place."""

EXTENSIONS: tuple[str, ...] = (
    "cogs.create",
    "cogs.edit",
    "cogs.official",
    "cogs.account",
    "cogs.personal",
    "cogs.admin",
    "cogs.owner",
)
