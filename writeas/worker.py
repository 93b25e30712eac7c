"""The huey consumer's entry point: `huey_consumer writeas.worker.huey`."""

from writeas.crossposting.queue import huey

__all__ = ["huey"]
