"""Imported once by the multiprocessing fork server (its preload list): the rules data, spaCy
and the ICD-10-CM tables are loaded there, and every worker forks from that warm process. On a
machine with many cores the start-up is then paid once, not once per worker, and the loaded
tables are shared copy-on-write between the workers."""

from __future__ import annotations

from reviewer.batch.work import WorkerSetup, prepare

prepare(WorkerSetup())
