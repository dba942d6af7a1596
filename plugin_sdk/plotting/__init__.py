"""The pieces behind `plugin_sdk.api`, one concern each: the config a script sees, colours,
the general panel on matplotlib axes, figure export and workbook export."""
