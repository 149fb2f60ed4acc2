-- Report exports (E14-F1): an admin asks for a CSV of a report; a worker streams it to the
-- file store and tells the admin by email and push. Written only by the reports module.
-- file_url is the file store key of the finished file (the download link is signed per
-- request and expires; the key itself is never handed out).
CREATE TYPE report_type AS ENUM ('SALES', 'FINANCIAL', 'ATTENDANCE', 'QUOTA_USAGE');
CREATE TYPE job_status AS ENUM ('PENDING', 'PROCESSING', 'COMPLETED', 'FAILED');

CREATE TABLE report_export_jobs (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  report_type     report_type NOT NULL,
  parameters_json jsonb NOT NULL DEFAULT '{}'::jsonb,
  status          job_status NOT NULL DEFAULT 'PENDING',
  file_url        text,
  requested_by    uuid REFERENCES users (id) ON DELETE SET NULL,
  -- The role the requester asked with: holders of it may open the file too.
  requested_role  app_role NOT NULL,
  row_count       bigint,
  file_bytes      bigint,
  created_at      timestamptz NOT NULL DEFAULT now(),
  started_at      timestamptz,
  completed_at    timestamptz,
  error_message   text,
  CHECK (status <> 'COMPLETED' OR (file_url IS NOT NULL AND completed_at IS NOT NULL)),
  CHECK (status <> 'FAILED' OR error_message IS NOT NULL)
);

CREATE INDEX report_export_jobs_requested_by_idx ON report_export_jobs (requested_by, created_at DESC);
