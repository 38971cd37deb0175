"""The nine notification block types exactly as Prefect 3.9.1 registers them (data only).

Copied from `prefect.blocks.notifications` of Prefect 3.9.1 (`_to_block_type()` and
`_to_block_schema()` of each class), so that a Prefect client saving a `SlackWebhook` finds
its type and schema here, checksum for checksum, instead of registering its own.
`models/notifications/block_types.py` registers them; a unit test checks every checksum.
"""

from __future__ import annotations

from typing import Any, Final

#: Prefect 3.9.1's notification block types: metadata, capabilities, schema version, fields.
PREFECT_NOTIFICATION_BLOCK_TYPES: Final[tuple[dict[str, Any], ...]] = (
    {
        "name": "Slack Webhook",
        "slug": "slack-webhook",
        "logo_url": "https://raw.githubusercontent.com/PrefectHQ/prefect/420d0d6a78bb6df1fc18bcf188fdad43c1d22ea9/assets/block-logos/slack.png",
        "documentation_url": "https://www.prefect.io/docs/latest/automate/events/automations-triggers#sending-notifications-with-automations",
        "description": "Enables sending notifications via a provided Slack webhook.\n"
        "\n"
        "Supports both standard Slack webhooks (hooks.slack.com) and Slack GovCloud\n"
        "webhooks (hooks.slack-gov.com).",
        "code_example": "Load a saved Slack webhook and send a message:\n"
        "```python\n"
        "from prefect.blocks.notifications import SlackWebhook\n"
        "\n"
        'slack_webhook_block = SlackWebhook.load("BLOCK_NAME")\n'
        'slack_webhook_block.notify("Hello from Prefect!")\n'
        "```",
        "capabilities": ["notify"],
        "version": "3.9.1",
        "fields": {
            "block_schema_references": {},
            "block_type_slug": "slack-webhook",
            "description": "Enables sending notifications via a provided Slack webhook.\n"
            "\n"
            "Supports both standard Slack webhooks (hooks.slack.com) and Slack "
            "GovCloud\n"
            "webhooks (hooks.slack-gov.com).",
            "properties": {
                "notify_type": {
                    "default": "info",
                    "description": "The type of notification being performed.",
                    "enum": ["info", "success", "warning", "failure"],
                    "title": "Notify Type",
                    "type": "string",
                    "position": 0,
                },
                "url": {
                    "description": "Slack incoming webhook URL used to send notifications.",
                    "examples": ["https://hooks.slack.com/XXX"],
                    "format": "password",
                    "title": "Webhook URL",
                    "type": "string",
                    "writeOnly": True,
                    "position": 1,
                },
                "allow_private_urls": {
                    "default": True,
                    "description": "Whether to allow "
                    "notifications to private "
                    "URLs. Defaults to True.",
                    "title": "Allow Private Urls",
                    "type": "boolean",
                    "position": 2,
                },
            },
            "required": ["url"],
            "secret_fields": ["url"],
            "title": "SlackWebhook",
            "type": "object",
        },
    },
    {
        "name": "Discord Webhook",
        "slug": "discord-webhook",
        "logo_url": "https://raw.githubusercontent.com/PrefectHQ/prefect/420d0d6a78bb6df1fc18bcf188fdad43c1d22ea9/assets/block-logos/discord.png",
        "documentation_url": "https://www.prefect.io/docs/latest/automate/events/automations-triggers#sending-notifications-with-automations",
        "description": "Enables sending notifications via a provided Discord webhook.",
        "code_example": "Load a saved Discord webhook and send a message:\n"
        "```python\n"
        "from prefect.blocks.notifications import DiscordWebhook\n"
        "\n"
        'discord_webhook_block = DiscordWebhook.load("BLOCK_NAME")\n'
        "\n"
        'discord_webhook_block.notify("Hello from Prefect!")\n'
        "```",
        "capabilities": ["notify"],
        "version": "3.9.1",
        "fields": {
            "block_schema_references": {},
            "block_type_slug": "discord-webhook",
            "description": "Enables sending notifications via a provided Discord webhook.",
            "properties": {
                "notify_type": {
                    "default": "info",
                    "description": "The type of notification being performed.",
                    "enum": ["info", "success", "warning", "failure"],
                    "title": "Notify Type",
                    "type": "string",
                    "position": 0,
                },
                "webhook_id": {
                    "description": "The first part of 2 tokens provided "
                    "to you after creating a "
                    "incoming-webhook.",
                    "format": "password",
                    "title": "Webhook Id",
                    "type": "string",
                    "writeOnly": True,
                    "position": 1,
                },
                "webhook_token": {
                    "description": "The second part of 2 tokens "
                    "provided to you after creating a "
                    "incoming-webhook.",
                    "format": "password",
                    "title": "Webhook Token",
                    "type": "string",
                    "writeOnly": True,
                    "position": 2,
                },
                "botname": {
                    "anyOf": [{"type": "string"}, {"type": "null"}],
                    "default": None,
                    "description": "Identify the name of the bot that "
                    "should issue the message. If one isn't "
                    "specified then the default is to just "
                    "use your account (associated with the "
                    "incoming-webhook).",
                    "title": "Bot name",
                    "position": 3,
                },
                "tts": {
                    "default": False,
                    "description": "Whether to enable Text-To-Speech.",
                    "title": "Tts",
                    "type": "boolean",
                    "position": 4,
                },
                "include_image": {
                    "default": False,
                    "description": "Whether to include an image "
                    "in-line with the message "
                    "describing the notification "
                    "type.",
                    "title": "Include Image",
                    "type": "boolean",
                    "position": 5,
                },
                "avatar": {
                    "default": False,
                    "description": "Whether to override the default discord avatar icon.",
                    "title": "Avatar",
                    "type": "boolean",
                    "position": 6,
                },
                "avatar_url": {
                    "anyOf": [{"type": "string"}, {"type": "null"}],
                    "default": None,
                    "description": "Over-ride the default discord "
                    "avatar icon URL. By default this is "
                    "not set and Apprise chooses the URL "
                    "dynamically based on the type of "
                    "message (info, success, warning, or "
                    "error).",
                    "title": "Avatar URL",
                    "position": 7,
                },
            },
            "required": ["webhook_id", "webhook_token"],
            "secret_fields": ["webhook_id", "webhook_token"],
            "title": "DiscordWebhook",
            "type": "object",
        },
    },
    {
        "name": "Mattermost Webhook",
        "slug": "mattermost-webhook",
        "logo_url": "https://raw.githubusercontent.com/PrefectHQ/prefect/420d0d6a78bb6df1fc18bcf188fdad43c1d22ea9/assets/block-logos/mattermost.png",
        "documentation_url": "https://www.prefect.io/docs/latest/automate/events/automations-triggers#sending-notifications-with-automations",
        "description": "Enables sending notifications via a provided Mattermost webhook.",
        "code_example": "Load a saved Mattermost webhook and send a message:\n"
        "```python\n"
        "from prefect.blocks.notifications import MattermostWebhook\n"
        "\n"
        'mattermost_webhook_block = MattermostWebhook.load("BLOCK_NAME")\n'
        "\n"
        'mattermost_webhook_block.notify("Hello from Prefect!")\n'
        "```",
        "capabilities": ["notify"],
        "version": "3.9.1",
        "fields": {
            "block_schema_references": {},
            "block_type_slug": "mattermost-webhook",
            "description": "Enables sending notifications via a provided Mattermost webhook.",
            "properties": {
                "notify_type": {
                    "default": "info",
                    "description": "The type of notification being performed.",
                    "enum": ["info", "success", "warning", "failure"],
                    "title": "Notify Type",
                    "type": "string",
                    "position": 0,
                },
                "hostname": {
                    "description": "The hostname of your Mattermost server.",
                    "examples": ["Mattermost.example.com"],
                    "title": "Hostname",
                    "type": "string",
                    "position": 1,
                },
                "secure": {
                    "default": False,
                    "description": "Whether to use secure https connection.",
                    "title": "Secure",
                    "type": "boolean",
                    "position": 2,
                },
                "token": {
                    "description": "The token associated with your Mattermost webhook.",
                    "format": "password",
                    "title": "Token",
                    "type": "string",
                    "writeOnly": True,
                    "position": 3,
                },
                "botname": {
                    "anyOf": [{"type": "string"}, {"type": "null"}],
                    "default": None,
                    "description": "The name of the bot that will send the message.",
                    "title": "Bot name",
                    "position": 4,
                },
                "channels": {
                    "anyOf": [{"items": {"type": "string"}, "type": "array"}, {"type": "null"}],
                    "default": None,
                    "description": "The channel(s) you wish to notify.",
                    "title": "Channels",
                    "position": 5,
                },
                "include_image": {
                    "default": False,
                    "description": "Whether to include the Apprise status image in the message.",
                    "title": "Include Image",
                    "type": "boolean",
                    "position": 6,
                },
                "path": {
                    "anyOf": [{"type": "string"}, {"type": "null"}],
                    "default": None,
                    "description": "An optional sub-path specification to append to the hostname.",
                    "title": "Path",
                    "position": 7,
                },
                "port": {
                    "default": 8065,
                    "description": "The port of your Mattermost server.",
                    "title": "Port",
                    "type": "integer",
                    "position": 8,
                },
            },
            "required": ["hostname", "token"],
            "secret_fields": ["token"],
            "title": "MattermostWebhook",
            "type": "object",
        },
    },
    {
        "name": "Microsoft Teams Webhook",
        "slug": "ms-teams-webhook",
        "logo_url": "https://raw.githubusercontent.com/PrefectHQ/prefect/420d0d6a78bb6df1fc18bcf188fdad43c1d22ea9/assets/block-logos/microsoft-teams.png",
        "documentation_url": "https://www.prefect.io/docs/latest/automate/events/automations-triggers#sending-notifications-with-automations",
        "description": "Enables sending notifications via a provided Microsoft Teams webhook.",
        "code_example": "Load a saved Teams webhook and send a message:\n"
        "```python\n"
        "from prefect.blocks.notifications import MicrosoftTeamsWebhook\n"
        'teams_webhook_block = MicrosoftTeamsWebhook.load("BLOCK_NAME")\n'
        'teams_webhook_block.notify("Hello from Prefect!")\n'
        "```",
        "capabilities": ["notify"],
        "version": "3.9.1",
        "fields": {
            "block_schema_references": {},
            "block_type_slug": "ms-teams-webhook",
            "description": "Enables sending notifications via a provided Microsoft Teams webhook.",
            "properties": {
                "notify_type": {
                    "default": "info",
                    "description": "The type of notification being performed.",
                    "enum": ["info", "success", "warning", "failure"],
                    "title": "Notify Type",
                    "type": "string",
                    "position": 0,
                },
                "url": {
                    "description": "The Microsoft Power Automate (Workflows) "
                    "URL used to send notifications to Teams.",
                    "examples": [
                        "https://prod-NO.LOCATION.logic.azure.com:443/workflows/WFID/triggers/manual/paths/invoke?api-version=2016-06-01&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=SIGNATURE"
                    ],
                    "format": "password",
                    "title": "Webhook URL",
                    "type": "string",
                    "writeOnly": True,
                    "position": 1,
                },
                "allow_private_urls": {
                    "default": True,
                    "description": "Whether to allow "
                    "notifications to private "
                    "URLs. Defaults to True.",
                    "title": "Allow Private Urls",
                    "type": "boolean",
                    "position": 2,
                },
                "include_image": {
                    "default": True,
                    "description": "Include an image with the notification.",
                    "title": "Include Image",
                    "type": "boolean",
                    "position": 3,
                },
                "wrap": {
                    "default": True,
                    "description": "Wrap the notification text.",
                    "title": "Wrap",
                    "type": "boolean",
                    "position": 4,
                },
            },
            "required": ["url"],
            "secret_fields": ["url"],
            "title": "MicrosoftTeamsWebhook",
            "type": "object",
        },
    },
    {
        "name": "Opsgenie Webhook",
        "slug": "opsgenie-webhook",
        "logo_url": "https://raw.githubusercontent.com/PrefectHQ/prefect/420d0d6a78bb6df1fc18bcf188fdad43c1d22ea9/assets/block-logos/opsgenie.png",
        "documentation_url": "https://www.prefect.io/docs/latest/automate/events/automations-triggers#sending-notifications-with-automations",
        "description": "Enables sending notifications via a provided Opsgenie webhook.",
        "code_example": "Load a saved Opsgenie webhook and send a message:\n"
        "```python\n"
        "from prefect.blocks.notifications import OpsgenieWebhook\n"
        'opsgenie_webhook_block = OpsgenieWebhook.load("BLOCK_NAME")\n'
        'opsgenie_webhook_block.notify("Hello from Prefect!")\n'
        "```",
        "capabilities": ["notify"],
        "version": "3.9.1",
        "fields": {
            "block_schema_references": {},
            "block_type_slug": "opsgenie-webhook",
            "description": "Enables sending notifications via a provided Opsgenie webhook.",
            "properties": {
                "notify_type": {
                    "default": "info",
                    "description": "The type of notification being performed.",
                    "enum": ["info", "success", "warning", "failure"],
                    "title": "Notify Type",
                    "type": "string",
                    "position": 0,
                },
                "apikey": {
                    "description": "The API Key associated with your Opsgenie account.",
                    "format": "password",
                    "title": "API Key",
                    "type": "string",
                    "writeOnly": True,
                    "position": 1,
                },
                "target_user": {
                    "anyOf": [{"items": {"type": "string"}, "type": "array"}, {"type": "null"}],
                    "default": None,
                    "description": "The user(s) you wish to notify.",
                    "title": "Target User",
                    "position": 2,
                },
                "target_team": {
                    "anyOf": [{"items": {"type": "string"}, "type": "array"}, {"type": "null"}],
                    "default": None,
                    "description": "The team(s) you wish to notify.",
                    "title": "Target Team",
                    "position": 3,
                },
                "target_schedule": {
                    "anyOf": [{"items": {"type": "string"}, "type": "array"}, {"type": "null"}],
                    "default": None,
                    "description": "The schedule(s) you wish to notify.",
                    "title": "Target Schedule",
                    "position": 4,
                },
                "target_escalation": {
                    "anyOf": [{"items": {"type": "string"}, "type": "array"}, {"type": "null"}],
                    "default": None,
                    "description": "The escalation(s) you wish to notify.",
                    "title": "Target Escalation",
                    "position": 5,
                },
                "region_name": {
                    "default": "us",
                    "description": "The 2-character region code.",
                    "enum": ["us", "eu"],
                    "title": "Region Name",
                    "type": "string",
                    "position": 6,
                },
                "batch": {
                    "default": False,
                    "description": "Notify all targets in batches (instead of individually).",
                    "title": "Batch",
                    "type": "boolean",
                    "position": 7,
                },
                "tags": {
                    "anyOf": [{"items": {"type": "string"}, "type": "array"}, {"type": "null"}],
                    "default": None,
                    "description": "A comma-separated list of tags you can "
                    "associate with your Opsgenie message.",
                    "examples": ['["tag1", "tag2"]'],
                    "title": "Tags",
                    "position": 8,
                },
                "priority": {
                    "anyOf": [{"type": "integer"}, {"type": "null"}],
                    "default": 3,
                    "description": "The priority to associate with the "
                    "message. It is on a scale between 1 "
                    "(LOW) and 5 (EMERGENCY).",
                    "title": "Priority",
                    "position": 9,
                },
                "alias": {
                    "anyOf": [{"type": "string"}, {"type": "null"}],
                    "default": None,
                    "description": "The alias to associate with the message.",
                    "title": "Alias",
                    "position": 10,
                },
                "entity": {
                    "anyOf": [{"type": "string"}, {"type": "null"}],
                    "default": None,
                    "description": "The entity to associate with the message.",
                    "title": "Entity",
                    "position": 11,
                },
                "details": {
                    "anyOf": [
                        {"additionalProperties": {"type": "string"}, "type": "object"},
                        {"type": "null"},
                    ],
                    "default": None,
                    "description": "Additional details composed of key/values pairs.",
                    "examples": ['{"key1": "value1", "key2": "value2"}'],
                    "title": "Details",
                    "position": 12,
                },
            },
            "required": ["apikey"],
            "secret_fields": ["apikey"],
            "title": "OpsgenieWebhook",
            "type": "object",
        },
    },
    {
        "name": "Pager Duty Webhook",
        "slug": "pager-duty-webhook",
        "logo_url": "https://raw.githubusercontent.com/PrefectHQ/prefect/420d0d6a78bb6df1fc18bcf188fdad43c1d22ea9/assets/block-logos/pagerduty.png",
        "documentation_url": "https://www.prefect.io/docs/latest/automate/events/automations-triggers#sending-notifications-with-automations",
        "description": "Enables sending notifications via a provided PagerDuty webhook.",
        "code_example": "Load a saved PagerDuty webhook and send a message:\n"
        "```python\n"
        "from prefect.blocks.notifications import PagerDutyWebHook\n"
        'pagerduty_webhook_block = PagerDutyWebHook.load("BLOCK_NAME")\n'
        'pagerduty_webhook_block.notify("Hello from Prefect!")\n'
        "```",
        "capabilities": ["notify"],
        "version": "3.9.1",
        "fields": {
            "block_schema_references": {},
            "block_type_slug": "pager-duty-webhook",
            "description": "Enables sending notifications via a provided PagerDuty webhook.",
            "properties": {
                "notify_type": {
                    "default": "info",
                    "description": "The severity of the notification.",
                    "enum": ["info", "success", "warning", "failure"],
                    "title": "Notify Type",
                    "type": "string",
                    "position": 0,
                },
                "integration_key": {
                    "description": "This can be found on the "
                    "Events API V2 integration's "
                    "detail page, and is also "
                    "referred to as a Routing Key. "
                    "This must be provided "
                    "alongside `api_key`, but will "
                    "error if provided alongside "
                    "`url`.",
                    "format": "password",
                    "title": "Integration Key",
                    "type": "string",
                    "writeOnly": True,
                    "position": 1,
                },
                "api_key": {
                    "description": "This can be found under Integrations. "
                    "This must be provided alongside "
                    "`integration_key`, but will error if "
                    "provided alongside `url`.",
                    "format": "password",
                    "title": "API Key",
                    "type": "string",
                    "writeOnly": True,
                    "position": 2,
                },
                "source": {
                    "anyOf": [{"type": "string"}, {"type": "null"}],
                    "default": "Prefect",
                    "description": "The source string as part of the payload.",
                    "title": "Source",
                    "position": 3,
                },
                "component": {
                    "default": "Notification",
                    "description": "The component string as part of the payload.",
                    "title": "Component",
                    "type": "string",
                    "position": 4,
                },
                "group": {
                    "anyOf": [{"type": "string"}, {"type": "null"}],
                    "default": None,
                    "description": "The group string as part of the payload.",
                    "title": "Group",
                    "position": 5,
                },
                "class_id": {
                    "anyOf": [{"type": "string"}, {"type": "null"}],
                    "default": None,
                    "description": "The class string as part of the payload.",
                    "title": "Class ID",
                    "position": 6,
                },
                "region_name": {
                    "default": "us",
                    "description": "The region name.",
                    "enum": ["us", "eu"],
                    "title": "Region Name",
                    "type": "string",
                    "position": 7,
                },
                "clickable_url": {
                    "anyOf": [
                        {"format": "uri", "minLength": 1, "type": "string"},
                        {"type": "null"},
                    ],
                    "default": None,
                    "description": "A clickable URL to associate with the notice.",
                    "title": "Clickable URL",
                    "position": 8,
                },
                "include_image": {
                    "default": True,
                    "description": "Associate the notification status via a represented icon.",
                    "title": "Include Image",
                    "type": "boolean",
                    "position": 9,
                },
                "custom_details": {
                    "anyOf": [
                        {"additionalProperties": {"type": "string"}, "type": "object"},
                        {"type": "null"},
                    ],
                    "default": None,
                    "description": "Additional details to include as part of the payload.",
                    "examples": ['{"disk_space_left": "145GB"}'],
                    "title": "Custom Details",
                    "position": 10,
                },
            },
            "required": ["integration_key", "api_key"],
            "secret_fields": ["integration_key", "api_key"],
            "title": "PagerDutyWebHook",
            "type": "object",
        },
    },
    {
        "name": "Sendgrid Email",
        "slug": "sendgrid-email",
        "logo_url": "https://raw.githubusercontent.com/PrefectHQ/prefect/420d0d6a78bb6df1fc18bcf188fdad43c1d22ea9/assets/block-logos/email.png",
        "documentation_url": "https://www.prefect.io/docs/latest/automate/events/automations-triggers#sending-notifications-with-automations",
        "description": "Enables sending notifications via Sendgrid email service.",
        "code_example": "Load a saved Sendgrid and send a email message:\n"
        "```python\n"
        "from prefect.blocks.notifications import SendgridEmail\n"
        "\n"
        'sendgrid_block = SendgridEmail.load("BLOCK_NAME")\n'
        "\n"
        'sendgrid_block.notify("Hello from Prefect!")\n'
        "```",
        "capabilities": ["notify"],
        "version": "3.9.1",
        "fields": {
            "block_schema_references": {},
            "block_type_slug": "sendgrid-email",
            "description": "Enables sending notifications via Sendgrid email service.",
            "properties": {
                "notify_type": {
                    "default": "info",
                    "description": "The type of notification being performed.",
                    "enum": ["info", "success", "warning", "failure"],
                    "title": "Notify Type",
                    "type": "string",
                    "position": 0,
                },
                "api_key": {
                    "description": "The API Key associated with your sendgrid account.",
                    "format": "password",
                    "title": "API Key",
                    "type": "string",
                    "writeOnly": True,
                    "position": 1,
                },
                "sender_email": {
                    "description": "The sender email id.",
                    "examples": ["test-support@gmail.com"],
                    "title": "Sender email id",
                    "type": "string",
                    "position": 2,
                },
                "to_emails": {
                    "description": "Email ids of all recipients.",
                    "examples": ['["recipient1@gmail.com", "recipient2@gmail.com"]'],
                    "items": {"type": "string"},
                    "title": "Recipient emails",
                    "type": "array",
                    "position": 3,
                },
            },
            "required": ["api_key", "sender_email", "to_emails"],
            "secret_fields": ["api_key"],
            "title": "SendgridEmail",
            "type": "object",
        },
    },
    {
        "name": "Twilio SMS",
        "slug": "twilio-sms",
        "logo_url": "https://raw.githubusercontent.com/PrefectHQ/prefect/420d0d6a78bb6df1fc18bcf188fdad43c1d22ea9/assets/block-logos/twilio.png",
        "documentation_url": "https://www.prefect.io/docs/latest/automate/events/automations-triggers#sending-notifications-with-automations",
        "description": "Enables sending notifications via Twilio SMS.",
        "code_example": "Load a saved `TwilioSMS` block and send a message:\n"
        "```python\n"
        "from prefect.blocks.notifications import TwilioSMS\n"
        'twilio_webhook_block = TwilioSMS.load("BLOCK_NAME")\n'
        'twilio_webhook_block.notify("Hello from Prefect!")\n'
        "```",
        "capabilities": ["notify"],
        "version": "3.9.1",
        "fields": {
            "block_schema_references": {},
            "block_type_slug": "twilio-sms",
            "description": "Enables sending notifications via Twilio SMS.",
            "properties": {
                "notify_type": {
                    "default": "info",
                    "description": "The type of notification being performed.",
                    "enum": ["info", "success", "warning", "failure"],
                    "title": "Notify Type",
                    "type": "string",
                    "position": 0,
                },
                "account_sid": {
                    "description": "The Twilio Account SID - it can be "
                    "found on the homepage of the "
                    "Twilio console.",
                    "title": "Account Sid",
                    "type": "string",
                    "position": 1,
                },
                "auth_token": {
                    "description": "The Twilio Authentication Token - "
                    "it can be found on the homepage of "
                    "the Twilio console.",
                    "format": "password",
                    "title": "Auth Token",
                    "type": "string",
                    "writeOnly": True,
                    "position": 2,
                },
                "from_phone_number": {
                    "description": "The valid Twilio phone number to send the message from.",
                    "examples": ["18001234567"],
                    "title": "From Phone Number",
                    "type": "string",
                    "position": 3,
                },
                "to_phone_numbers": {
                    "description": "A list of valid Twilio phone number(s) to send the message to.",
                    "examples": ['["18004242424", "18004242425"]'],
                    "items": {"type": "string"},
                    "title": "To Phone Numbers",
                    "type": "array",
                    "position": 4,
                },
            },
            "required": ["account_sid", "auth_token", "from_phone_number", "to_phone_numbers"],
            "secret_fields": ["auth_token"],
            "title": "TwilioSMS",
            "type": "object",
        },
    },
    {
        "name": "Custom Webhook",
        "slug": "custom-webhook",
        "logo_url": "https://raw.githubusercontent.com/PrefectHQ/prefect/420d0d6a78bb6df1fc18bcf188fdad43c1d22ea9/assets/block-logos/webhook.png",
        "documentation_url": "https://www.prefect.io/docs/latest/automate/events/automations-triggers#sending-notifications-with-automations",
        "description": "Enables sending notifications via any custom webhook.\n"
        "\n"
        "All nested string param contains `{{key}}` will be substituted with value "
        "from context/secrets.\n"
        "\n"
        "Context values include: `subject`, `body` and `name`.",
        "code_example": "Load a saved custom webhook and send a message:\n"
        "```python\n"
        "from prefect.blocks.notifications import CustomWebhookNotificationBlock\n"
        "\n"
        'custom_webhook_block = CustomWebhookNotificationBlock.load("BLOCK_NAME")\n'
        "\n"
        'custom_webhook_block.notify("Hello from Prefect!")\n'
        "```",
        "capabilities": ["notify"],
        "version": "3.9.1",
        "fields": {
            "block_schema_references": {},
            "block_type_slug": "custom-webhook",
            "description": "Enables sending notifications via any custom webhook.\n"
            "\n"
            "All nested string param contains `{{key}}` will be substituted "
            "with value from context/secrets.\n"
            "\n"
            "Context values include: `subject`, `body` and `name`.",
            "properties": {
                "name": {
                    "description": "Name of the webhook.",
                    "title": "Name",
                    "type": "string",
                    "position": 0,
                },
                "url": {
                    "description": "The webhook URL.",
                    "examples": ["https://hooks.slack.com/XXX"],
                    "title": "Webhook URL",
                    "type": "string",
                    "position": 1,
                },
                "method": {
                    "default": "POST",
                    "description": "The webhook request method. Defaults to `POST`.",
                    "enum": ["GET", "POST", "PUT", "PATCH", "DELETE"],
                    "title": "Method",
                    "type": "string",
                    "position": 2,
                },
                "params": {
                    "anyOf": [
                        {"additionalProperties": {"type": "string"}, "type": "object"},
                        {"type": "null"},
                    ],
                    "default": None,
                    "description": "Custom query params.",
                    "title": "Query Params",
                    "position": 3,
                },
                "json_data": {
                    "anyOf": [{"additionalProperties": True, "type": "object"}, {"type": "null"}],
                    "default": None,
                    "description": "Send json data as payload.",
                    "examples": [
                        '{"text": "{{subject}}\\n{{body}}", '
                        '"title": "{{name}}", "token": '
                        '"{{tokenFromSecrets}}"}'
                    ],
                    "title": "JSON Data",
                    "position": 4,
                },
                "form_data": {
                    "anyOf": [
                        {"additionalProperties": {"type": "string"}, "type": "object"},
                        {"type": "string"},
                        {"type": "null"},
                    ],
                    "default": None,
                    "description": "Send form data as payload. Should "
                    "not be used together with _JSON "
                    "Data_. Can be a dictionary for "
                    "form-encoded data or a string for "
                    "raw body content.",
                    "examples": [
                        '{"text": "{{subject}}\\n{{body}}", '
                        '"title": "{{name}}", "token": '
                        '"{{tokenFromSecrets}}"}'
                    ],
                    "title": "Form Data",
                    "position": 5,
                },
                "headers": {
                    "anyOf": [
                        {"additionalProperties": {"type": "string"}, "type": "object"},
                        {"type": "null"},
                    ],
                    "default": None,
                    "description": "Custom headers.",
                    "title": "Headers",
                    "position": 6,
                },
                "cookies": {
                    "anyOf": [
                        {"additionalProperties": {"type": "string"}, "type": "object"},
                        {"type": "null"},
                    ],
                    "default": None,
                    "description": "Custom cookies.",
                    "title": "Cookies",
                    "position": 7,
                },
                "timeout": {
                    "default": 10,
                    "description": "Request timeout in seconds. Defaults to 10.",
                    "title": "Timeout",
                    "type": "number",
                    "position": 8,
                },
                "allow_private_urls": {
                    "default": True,
                    "description": "Whether to allow "
                    "notifications to private "
                    "URLs. Defaults to True.",
                    "title": "Allow Private Urls",
                    "type": "boolean",
                    "position": 9,
                },
                "secrets": {
                    "description": "A dictionary of secret values to be "
                    "substituted in other configs.",
                    "examples": ['{"tokenFromSecrets":"SomeSecretToken"}'],
                    "title": "Custom Secret Values",
                    "type": "object",
                    "position": 10,
                },
            },
            "required": ["name", "url"],
            "secret_fields": ["secrets.*"],
            "title": "CustomWebhookNotificationBlock",
            "type": "object",
        },
    },
)
