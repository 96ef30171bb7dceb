-- A scratch copy of a seeded dataset, made with it as the template (files copied, no WAL replay).
CREATE DATABASE {name} TEMPLATE {template} STRATEGY FILE_COPY
