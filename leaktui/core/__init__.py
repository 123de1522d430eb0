"""The core: discovery, sampling, journal and file formats. Knows nothing of Textual."""
