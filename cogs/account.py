"""A member's own view: /quota, /jobs and /job."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.errors import BadInput
from bot.jobs.launch import job_label
from bot.ui import render

if TYPE_CHECKING:
    from bot.client import PikaBot


def _credits(count: int) -> str:
    return f"{count} credit" if count == 1 else f"{count} credits"


def _when(moment: Any) -> str:
    stamp = int(moment.timestamp())
    return f"<t:{stamp}:R> (<t:{stamp}:f>)"


def job_link(record: Any) -> str | None:
    message_id = record.delivered_message_id or record.progress_message_id
    if message_id is None:
        return None
    return f"https://discord.com/channels/{record.guild_id}/{record.channel_id}/{message_id}"


def job_line(record: Any) -> str:
    words = {
        "pending": "sending",
        "submitted": "sent",
        "queued": "queued",
        "running": "rendering",
        "succeeded": "done",
        "failed": "failed",
    }[record.status.value]
    if record.status == "running" and record.progress is not None:
        words += f" {record.progress}%"
    line = f"**{job_label(record)}** — {words}"
    if record.status == "succeeded" and record.result_url:
        line += f" · [video]({record.result_url})"
    link = job_link(record)
    if link:
        line += f" · [message]({link})"
    return line


class Account(commands.Cog):
    def __init__(self, bot: PikaBot) -> None:
        self.bot = bot

    @property
    def services(self) -> Any:
        return self.bot.services

    @app_commands.command(description="Your credits, when they reset, and what each video costs")
    @app_commands.guild_only()
    async def quota(self, interaction: discord.Interaction) -> None:
        assert interaction.guild_id is not None
        roles = [role.id for role in getattr(interaction.user, "roles", [])]
        exempt = await self.bot.is_owner(interaction.user)
        status = await self.services.quota.status(
            interaction.guild_id, interaction.user.id, roles, exempt=exempt
        )
        embed = discord.Embed(title="Your Pika credits", colour=render.COLOUR_WORKING)
        if status.unlimited:
            embed.description = "You have **unlimited** credits here."
        else:
            lines = [
                f"**{_credits(status.remaining or 0)}** left of {status.allowance} "
                f"this {status.period.value}"
            ]
            if status.grant_remaining:
                lines.append(
                    f"plus **{_credits(status.grant_remaining)}** granted to you "
                    "(they don't expire)"
                )
            if status.budget_remaining is not None:
                lines.append(
                    f"The server has {_credits(status.budget_remaining)} left "
                    f"in its budget this {status.period.value}."
                )
            lines.append(f"Resets {_when(status.resets_at)}")
            embed.description = "\n".join(lines)
        limit = "no limit" if status.max_in_flight is None else str(status.max_in_flight)
        in_flight = ", ".join(f"#{job.id}" for job in status.in_flight) or "none"
        embed.add_field(
            name=f"In the making ({len(status.in_flight)} of {limit})",
            value=in_flight,
            inline=False,
        )
        offered = self.services.pika.capabilities
        costs = "\n".join(
            f"{render.OPERATION_LABELS[op.value]}: {_credits(cost)}"
            for op, cost in status.costs.items()
            if offered.supports(op)
        )
        embed.add_field(name="Costs", value=costs, inline=False)
        embed.set_footer(text="A video that fails costs nothing.")
        await interaction.response.send_message(embed=embed, ephemeral=True)

    @app_commands.command(description="Your recent videos")
    @app_commands.guild_only()
    async def jobs(self, interaction: discord.Interaction) -> None:
        assert interaction.guild_id is not None
        records = await self.services.store.recent_jobs(
            interaction.guild_id, interaction.user.id, limit=10
        )
        if not records:
            await interaction.response.send_message(
                "You haven't made any videos here yet. Try `/generate`!", ephemeral=True
            )
            return
        embed = discord.Embed(
            title="Your recent videos",
            colour=render.COLOUR_WORKING,
            description="\n".join(job_line(record) for record in records),
        )
        await interaction.response.send_message(embed=embed, ephemeral=True)

    @app_commands.command(description="One of your videos: its status and result")
    @app_commands.describe(id="The job number (pick from the list)")
    @app_commands.guild_only()
    async def job(self, interaction: discord.Interaction, id: str) -> None:
        assert interaction.guild_id is not None
        digits = id.strip().lstrip("#").split(" ", 1)[0]
        record = await self.services.store.get_job(int(digits)) if digits.isdigit() else None
        if (
            record is None
            or record.guild_id != interaction.guild_id
            or (record.owner_id != interaction.user.id and not interaction.permissions.manage_guild)
        ):
            raise BadInput(f"You have no job {id!r} in this server; pick one from the list.")
        view = self.services.engine.view(record)
        if record.status == "succeeded":
            embed = render.result_embed(view, link_note=f"[Download]({record.result_url})")
        else:
            embed = render.progress_embed(view)
        link = job_link(record)
        if link:
            embed.add_field(name="Message", value=f"[Jump to it]({link})", inline=False)
        await interaction.response.send_message(embed=embed, ephemeral=True)

    @job.autocomplete("id")
    async def job_autocomplete(
        self,
        interaction: discord.Interaction,
        current: str,
    ) -> list[app_commands.Choice[str]]:
        if interaction.guild_id is None:
            return []
        records = await self.services.store.search_jobs(
            interaction.guild_id, interaction.user.id, current, limit=25, finished_only=False
        )
        return [
            app_commands.Choice(name=job_label(record), value=str(record.id)) for record in records
        ]


async def setup(bot: PikaBot) -> None:
    await bot.add_cog(Account(bot))
