-- Where a recording file lives. storage is '' while the file is only on
-- the recording node's disk, 'uploaded' once the object store holds a
-- verified copy (the local file may still be there) and 'remote' once the
-- local copy is removed. object_key names the object in the store.
ALTER TABLE recording_files ADD COLUMN storage TEXT NOT NULL DEFAULT ''
--;
ALTER TABLE recording_files ADD COLUMN object_key TEXT NOT NULL DEFAULT ''
--;
-- The uploader looks for this node's finished files not yet in the store.
CREATE INDEX recording_files_storage ON recording_files (storage, node)
