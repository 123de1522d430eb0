"""``leaktui demo``: leaktui's own small Celery app, real workers that leak (and some that do
not), on an embedded broker in a temporary folder, and the monitor opened on them."""
