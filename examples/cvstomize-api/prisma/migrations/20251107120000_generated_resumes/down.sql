-- Rollback plan for 20251107120000_generated_resumes: generated documents can be regenerated from
-- "resumes", so dropping them loses no user input.
DROP TABLE IF EXISTS "generated_resumes";
DROP TABLE IF EXISTS "templates";
