"""Discord's documented limits on messages, components, modals and commands."""

from __future__ import annotations

import re
from typing import Any

from bot.emulator.errors import FormErrors

Path = tuple[str | int, ...]

EPHEMERAL = 1 << 6
SUPPRESS_EMBEDS = 1 << 2
LOADING = 1 << 7
SUPPRESS_NOTIFICATIONS = 1 << 12
COMPONENTS_V2 = 1 << 15
# Flags a bot may set when sending a message (others are set by Discord).
SENDABLE_FLAGS = EPHEMERAL | SUPPRESS_EMBEDS | SUPPRESS_NOTIFICATIONS | COMPONENTS_V2

ACTION_ROW = 1
BUTTON = 2
STRING_SELECT = 3
TEXT_INPUT = 4
SELECT_TYPES = frozenset({3, 5, 6, 7, 8})
LABEL = 18
LINK_STYLE = 5
PREMIUM_STYLE = 6

COMMAND_NAME = re.compile(r"^[-_'\w]{1,32}$")


def _length_error(errors: FormErrors, path: Path, low: int, high: int) -> None:
    errors.add(path, "BASE_TYPE_BAD_LENGTH", f"Must be between {low} and {high} in length.")


def validate_message(payload: dict[str, Any], errors: FormErrors, *, path: Path = ()) -> None:
    """Check content, embeds, components and flags of a message payload."""
    content = payload.get("content")
    if content is not None:
        if not isinstance(content, str):
            errors.add((*path, "content"), "BASE_TYPE_STRING", "Could not interpret as string.")
        elif len(content) > 2000:
            errors.add(
                (*path, "content"),
                "BASE_TYPE_MAX_LENGTH",
                "Must be 2000 or fewer in length.",
            )
    embeds = payload.get("embeds")
    if embeds is not None:
        validate_embeds(embeds, errors, (*path, "embeds"))
    flags = payload.get("flags") or 0
    if not isinstance(flags, int):
        errors.add((*path, "flags"), "NUMBER_TYPE_COERCE", f'Value "{flags}" is not int.')
        flags = 0
    elif flags & ~(SENDABLE_FLAGS | LOADING):
        errors.add((*path, "flags"), "MESSAGE_FLAGS_INVALID", "Invalid flags for a message.")
    components = payload.get("components")
    if components is not None:
        validate_components(
            components, errors, (*path, "components"), v2=bool(flags & COMPONENTS_V2)
        )


def validate_embeds(embeds: Any, errors: FormErrors, path: Path) -> None:
    """Check Discord's embed limits: sizes of each part and 6000 characters in all."""
    if not isinstance(embeds, list):
        errors.add(path, "BASE_TYPE_ARRAY", "Could not interpret as array.")
        return
    if len(embeds) > 10:
        errors.add(path, "BASE_TYPE_MAX_LENGTH", "Must be 10 or fewer in length.")
    total = 0
    for i, embed in enumerate(embeds):
        at = (*path, i)
        if not isinstance(embed, dict):
            errors.add(at, "MODEL_TYPE_CONVERT", "Only dictionaries may be used in a ModelType")
            continue
        total += _check_text(errors, (*at, "title"), embed.get("title"), 256)
        total += _check_text(errors, (*at, "description"), embed.get("description"), 4096)
        footer = embed.get("footer") or {}
        total += _check_text(errors, (*at, "footer", "text"), footer.get("text"), 2048)
        author = embed.get("author") or {}
        total += _check_text(errors, (*at, "author", "name"), author.get("name"), 256)
        fields = embed.get("fields") or []
        if len(fields) > 25:
            errors.add((*at, "fields"), "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.")
        for j, item in enumerate(fields):
            name, value = item.get("name"), item.get("value")
            if not name:
                errors.add(
                    (*at, "fields", j, "name"), "BASE_TYPE_REQUIRED", "This field is required"
                )
            if value is None or value == "":
                errors.add(
                    (*at, "fields", j, "value"), "BASE_TYPE_REQUIRED", "This field is required"
                )
            total += _check_text(errors, (*at, "fields", j, "name"), name, 256)
            total += _check_text(errors, (*at, "fields", j, "value"), value, 1024)
    if total > 6000:
        errors.add(path, "MAX_EMBED_SIZE_EXCEEDED", "Embed size exceeds maximum size of 6000")


def _check_text(errors: FormErrors, path: Path, value: Any, high: int) -> int:
    if value is None:
        return 0
    text = str(value)
    if len(text) > high:
        errors.add(path, "BASE_TYPE_MAX_LENGTH", f"Must be {high} or fewer in length.")
    return len(text)


def validate_components(components: Any, errors: FormErrors, path: Path, *, v2: bool) -> None:
    """Check action rows (5 rows of 5 buttons or 1 select) or a Components V2 tree."""
    if not isinstance(components, list):
        errors.add(path, "BASE_TYPE_ARRAY", "Could not interpret as array.")
        return
    seen: set[str] = set()
    if v2:
        if count_components(components) > 40:
            errors.add(path, "BASE_TYPE_MAX_LENGTH", "Must be 40 or fewer in length.")
        for i, component in enumerate(components):
            _validate_tree(component, errors, (*path, i), seen)
        return
    if len(components) > 5:
        errors.add(path, "BASE_TYPE_MAX_LENGTH", "Must be 5 or fewer in length.")
    for i, row in enumerate(components):
        at = (*path, i)
        if not isinstance(row, dict) or row.get("type") != ACTION_ROW:
            errors.add(
                (*at, "type"),
                "UNION_TYPE_CHOICES",
                'Value of field "type" must be one of (1,).',
            )
            continue
        children = row.get("components") or []
        if not 1 <= len(children) <= 5:
            _length_error(errors, (*at, "components"), 1, 5)
        if any(c.get("type") in SELECT_TYPES for c in children) and len(children) > 1:
            errors.add(
                (*at, "components"),
                "COMPONENT_LAYOUT_WIDTH_EXCEEDED",
                "The specified component exceeds the maximum width",
            )
        for j, child in enumerate(children):
            if child.get("type") not in {BUTTON, *SELECT_TYPES}:
                errors.add(
                    (*at, "components", j, "type"),
                    "UNION_TYPE_CHOICES",
                    'Value of field "type" must be one of (2, 3, 5, 6, 7, 8).',
                )
            _validate_interactive(child, errors, (*at, "components", j), seen)


def count_components(components: list[dict[str, Any]]) -> int:
    """Count every component in a tree, containers and their children alike."""
    total = 0
    for component in components:
        total += 1
        total += count_components(component.get("components") or [])
        if isinstance(component.get("accessory"), dict):
            total += 1
        if isinstance(component.get("component"), dict):
            total += 1
    return total


def _validate_tree(component: Any, errors: FormErrors, path: Path, seen: set[str]) -> None:
    if not isinstance(component, dict):
        errors.add(path, "MODEL_TYPE_CONVERT", "Only dictionaries may be used in a ModelType")
        return
    _validate_interactive(component, errors, path, seen)
    for i, child in enumerate(component.get("components") or []):
        _validate_tree(child, errors, (*path, "components", i), seen)
    accessory = component.get("accessory")
    if isinstance(accessory, dict):
        _validate_tree(accessory, errors, (*path, "accessory"), seen)


def _validate_interactive(
    component: dict[str, Any], errors: FormErrors, path: Path, seen: set[str]
) -> None:
    kind = component.get("type")
    custom_id = component.get("custom_id")
    if kind == BUTTON:
        style = component.get("style")
        if style == LINK_STYLE:
            if not component.get("url"):
                errors.add((*path, "url"), "BASE_TYPE_REQUIRED", "This field is required")
            if custom_id is not None:
                errors.add(
                    (*path, "custom_id"),
                    "BUTTON_COMPONENT_CUSTOM_ID_NOT_ALLOWED",
                    "A custom id cannot be set on link buttons",
                )
            custom_id = None
        elif style == PREMIUM_STYLE:
            custom_id = None
        elif custom_id is None:
            errors.add(
                (*path, "custom_id"),
                "BUTTON_COMPONENT_CUSTOM_ID_REQUIRED",
                "A custom id required",
            )
        label = component.get("label")
        if label is not None and len(str(label)) > 80:
            errors.add((*path, "label"), "BASE_TYPE_MAX_LENGTH", "Must be 80 or fewer in length.")
    elif kind in SELECT_TYPES or kind == TEXT_INPUT:
        if custom_id is None:
            errors.add((*path, "custom_id"), "BASE_TYPE_REQUIRED", "This field is required")
        if kind == STRING_SELECT:
            options = component.get("options") or []
            if not 1 <= len(options) <= 25:
                _length_error(errors, (*path, "options"), 1, 25)
        placeholder = component.get("placeholder")
        if placeholder is not None and len(str(placeholder)) > 150:
            errors.add(
                (*path, "placeholder"), "BASE_TYPE_MAX_LENGTH", "Must be 150 or fewer in length."
            )
    if custom_id is not None:
        if not isinstance(custom_id, str) or not 1 <= len(custom_id) <= 100:
            _length_error(errors, (*path, "custom_id"), 1, 100)
        elif custom_id in seen:
            errors.add(
                (*path, "custom_id"),
                "COMPONENT_CUSTOM_ID_DUPLICATED",
                "Component custom id cannot be duplicated",
            )
        else:
            seen.add(custom_id)


def validate_modal(data: Any, errors: FormErrors, path: Path = ("data",)) -> None:
    """Check a modal: title <= 45, custom_id 1..100, 1..5 components with valid inputs."""
    if not isinstance(data, dict):
        errors.add(path, "BASE_TYPE_REQUIRED", "This field is required")
        return
    title = data.get("title")
    if not isinstance(title, str) or not 1 <= len(title) <= 45:
        _length_error(errors, (*path, "title"), 1, 45)
    custom_id = data.get("custom_id")
    if not isinstance(custom_id, str) or not 1 <= len(custom_id) <= 100:
        _length_error(errors, (*path, "custom_id"), 1, 100)
    components = data.get("components")
    if not isinstance(components, list) or not 1 <= len(components) <= 5:
        _length_error(errors, (*path, "components"), 1, 5)
        return
    seen: set[str] = set()
    for i, component in enumerate(components):
        at = (*path, "components", i)
        inner = modal_inputs(component)
        if component.get("type") not in (ACTION_ROW, LABEL, 10):
            errors.add(
                (*at, "type"), "UNION_TYPE_CHOICES", 'Value of field "type" must be one of (1, 18).'
            )
        if component.get("type") == ACTION_ROW and len(inner) != 1:
            _length_error(errors, (*at, "components"), 1, 1)
        for j, item in enumerate(inner):
            item_path = (
                (*at, "components", j)
                if component.get("type") == ACTION_ROW
                else (
                    *at,
                    "component",
                )
            )
            _validate_interactive(item, errors, item_path, seen)
            if item.get("type") == TEXT_INPUT:
                _validate_text_input(item, errors, item_path)


def _validate_text_input(item: dict[str, Any], errors: FormErrors, path: Path) -> None:
    label = item.get("label")
    if label is not None and len(str(label)) > 45:
        errors.add((*path, "label"), "BASE_TYPE_MAX_LENGTH", "Must be 45 or fewer in length.")
    value = item.get("value")
    if value is not None and len(str(value)) > 4000:
        errors.add((*path, "value"), "BASE_TYPE_MAX_LENGTH", "Must be 4000 or fewer in length.")
    for key in ("min_length", "max_length"):
        bound = item.get(key)
        if bound is not None and not 0 <= int(bound) <= 4000:
            errors.add((*path, key), "NUMBER_TYPE_MAX", "int value should be <= 4000.")
    if item.get("style", 1) not in (1, 2):
        errors.add((*path, "style"), "BASE_TYPE_CHOICES", "Value must be one of {1, 2}.")


def modal_inputs(component: dict[str, Any]) -> list[dict[str, Any]]:
    """Return the input components inside one top-level modal component (row or label)."""
    if component.get("type") == ACTION_ROW:
        return list(component.get("components") or [])
    if component.get("type") == LABEL and isinstance(component.get("component"), dict):
        return [component["component"]]
    return []


def validate_choices(choices: Any, errors: FormErrors, path: Path = ("data", "choices")) -> None:
    """Check an autocomplete answer: at most 25 choices, names 1..100, values <= 100."""
    if not isinstance(choices, list):
        errors.add(path, "BASE_TYPE_ARRAY", "Could not interpret as array.")
        return
    if len(choices) > 25:
        errors.add(path, "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.")
    for i, choice in enumerate(choices):
        name = choice.get("name")
        if not isinstance(name, str) or not 1 <= len(name) <= 100:
            _length_error(errors, (*path, i, "name"), 1, 100)
        value = choice.get("value")
        if isinstance(value, str) and len(value) > 100:
            errors.add(
                (*path, i, "value"), "BASE_TYPE_MAX_LENGTH", "Must be 100 or fewer in length."
            )


def validate_command(command: Any, errors: FormErrors, path: Path) -> None:
    """Check one application command definition the way Discord does on sync."""
    if not isinstance(command, dict):
        errors.add(path, "MODEL_TYPE_CONVERT", "Only dictionaries may be used in a ModelType")
        return
    kind = command.get("type", 1)
    name = command.get("name")
    if kind == 1:
        _check_name(name, errors, (*path, "name"))
        _check_description(command.get("description"), errors, (*path, "description"))
        _validate_options(command.get("options") or [], errors, (*path, "options"), depth=0)
    else:
        if not isinstance(name, str) or not 1 <= len(name) <= 32:
            _length_error(errors, (*path, "name"), 1, 32)
        if command.get("description"):
            errors.add(
                (*path, "description"),
                "APPLICATION_COMMAND_CONTEXT_MENU_DESCRIPTION",
                "Context menu commands cannot have description",
            )
    for locale, value in (command.get("name_localizations") or {}).items():
        if kind == 1:
            _check_name(value, errors, (*path, "name_localizations", locale))
    for locale, value in (command.get("description_localizations") or {}).items():
        _check_description(value, errors, (*path, "description_localizations", locale))


def _check_name(name: Any, errors: FormErrors, path: Path) -> None:
    if not isinstance(name, str) or not COMMAND_NAME.match(name):
        errors.add(
            path,
            "APPLICATION_COMMAND_INVALID_NAME",
            f"Command name is invalid: {name!r}",
        )
    elif name != name.lower():
        errors.add(
            path,
            "APPLICATION_COMMAND_NAME_LOWERCASE",
            "Command name must be lower case",
        )


def _check_description(description: Any, errors: FormErrors, path: Path) -> None:
    if not isinstance(description, str) or not 1 <= len(description) <= 100:
        _length_error(errors, path, 1, 100)


def _validate_options(options: Any, errors: FormErrors, path: Path, *, depth: int) -> None:
    if not isinstance(options, list):
        errors.add(path, "BASE_TYPE_ARRAY", "Could not interpret as array.")
        return
    if len(options) > 25:
        errors.add(path, "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.")
    names: set[str] = set()
    seen_optional = False
    for i, option in enumerate(options):
        at = (*path, i)
        kind = option.get("type")
        _check_name(option.get("name"), errors, (*at, "name"))
        _check_description(option.get("description"), errors, (*at, "description"))
        if option.get("name") in names:
            errors.add(
                (*at, "name"),
                "APPLICATION_COMMAND_OPTIONS_NAME_ALREADY_EXISTS",
                "Option names must be unique",
            )
        names.add(option.get("name"))
        if kind in (1, 2):
            if (kind == 2 and depth > 0) or (kind == 1 and depth > 1):
                errors.add(
                    (*at, "type"),
                    "APPLICATION_COMMAND_OPTION_TYPE_INVALID",
                    "Sub-command groups and sub-commands nest at most two levels",
                )
            _validate_options(
                option.get("options") or [], errors, (*at, "options"), depth=depth + 1
            )
            continue
        if kind not in range(3, 12):
            errors.add((*at, "type"), "BASE_TYPE_CHOICES", "Value must be one of 1..11.")
        if option.get("required"):
            if seen_optional:
                errors.add(
                    (*at, "required"),
                    "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID",
                    "Required options must be placed before non-required options",
                )
        else:
            seen_optional = True
        choices = option.get("choices") or []
        if len(choices) > 25:
            errors.add((*at, "choices"), "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.")
        if choices and option.get("autocomplete"):
            errors.add(
                (*at, "autocomplete"),
                "APPLICATION_COMMAND_OPTION_AUTOCOMPLETE_CHOICES",
                "Autocomplete cannot be set when choices are present",
            )
        for j, choice in enumerate(choices):
            cname = choice.get("name")
            if not isinstance(cname, str) or not 1 <= len(cname) <= 100:
                _length_error(errors, (*at, "choices", j, "name"), 1, 100)
