"""The `objstore` command: serve, and the administrator's commands."""
