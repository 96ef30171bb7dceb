-- Write every dirty buffer out, so the relations' files are clean before they are dropped from the OS cache.
CHECKPOINT
