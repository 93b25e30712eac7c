"""The huey consumer's entry point: `huey_consumer writeas.worker.huey`.

The worker builds the app once (its settings, its database) and runs its queue's tasks in
that app's context; the web processes only enqueue."""

from writeas import create_app

app = create_app()
huey = app.extensions["writeas.queue"].huey
