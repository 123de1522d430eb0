"""kombu's filesystem:// transport options, shared by the test app and the test client."""

import os


def transport_options(folder: str) -> dict:
    """Workers and clients must share these folders for tasks and remote control to work."""
    return {
        "data_folder_in": os.path.join(folder, "data"),
        "data_folder_out": os.path.join(folder, "data"),
        "control_folder": os.path.join(folder, "control"),
        "processed_folder": os.path.join(folder, "processed"),
        # The default 1 s makes every task and reply wait a second (measured).
        "polling_interval": 0.05,
    }
