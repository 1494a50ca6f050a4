"""The dashboard's widgets, one per pane."""
