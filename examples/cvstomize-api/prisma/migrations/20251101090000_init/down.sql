-- Rollback plan for 20251101090000_init: drops every table the migration created (data is lost:
-- restore from the pre-migration backup instead if users already signed up).
DROP TABLE IF EXISTS "resumes";
DROP TABLE IF EXISTS "users";
