-- The first schema. Portable between SQLite and PostgreSQL: ids are text made by verso,
-- times are Unix milliseconds, flags are 0/1, documents are JSON text. `{blob}` is BLOB on
-- SQLite and BYTEA on PostgreSQL.

CREATE TABLE settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE tokens (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    hash TEXT NOT NULL UNIQUE,
    admin BIGINT NOT NULL,
    roles TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    revoked_at BIGINT
);

CREATE TABLE audit_log (
    id TEXT PRIMARY KEY,
    at BIGINT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    project TEXT,
    object TEXT NOT NULL,
    before_id TEXT,
    after_id TEXT
);
CREATE INDEX audit_log_at ON audit_log (at);

CREATE TABLE registries (
    name TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    url TEXT NOT NULL,
    username TEXT,
    secret {blob},
    plain_http BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE projects (
    name TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    description TEXT NOT NULL,
    startup_order TEXT NOT NULL,
    allow_private_hooks BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE services (
    project TEXT NOT NULL,
    name TEXT NOT NULL,
    spec TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (project, name)
);

CREATE TABLE environments (
    project TEXT NOT NULL,
    name TEXT NOT NULL,
    production BIGINT NOT NULL,
    global_values TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (project, name)
);

CREATE TABLE environment_services (
    project TEXT NOT NULL,
    environment TEXT NOT NULL,
    service TEXT NOT NULL,
    state TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    updated_by TEXT NOT NULL,
    PRIMARY KEY (project, environment, service)
);

CREATE TABLE versions (
    id TEXT PRIMARY KEY,
    project TEXT NOT NULL,
    name TEXT NOT NULL,
    status TEXT NOT NULL,
    -- Kept out of `spec` too, so that lists do not read every snapshot.
    description TEXT NOT NULL,
    spec TEXT NOT NULL,
    labels TEXT NOT NULL,
    error TEXT NOT NULL,
    content_digest TEXT,
    job_id TEXT,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    started_at BIGINT,
    finished_at BIGINT,
    UNIQUE (project, name)
);
CREATE INDEX versions_project_created ON versions (project, created_at);

-- Names of deleted versions stay taken: their artifacts were pushed under them.
CREATE TABLE version_names (
    project TEXT NOT NULL,
    name TEXT NOT NULL,
    PRIMARY KEY (project, name)
);

CREATE TABLE version_items (
    version_id TEXT NOT NULL,
    seq BIGINT NOT NULL,
    kind TEXT NOT NULL,
    service TEXT NOT NULL,
    name TEXT NOT NULL,
    spec TEXT NOT NULL,
    status TEXT NOT NULL,
    digest TEXT,
    url TEXT,
    error TEXT NOT NULL,
    log TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (version_id, seq)
);

CREATE TABLE jobs (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    subject TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts BIGINT NOT NULL,
    run_at BIGINT NOT NULL,
    lease_owner TEXT,
    lease_until BIGINT,
    last_error TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX jobs_ready ON jobs (status, run_at);

CREATE TABLE charts (
    name TEXT NOT NULL,
    version TEXT NOT NULL,
    digest TEXT NOT NULL,
    metadata TEXT NOT NULL,
    size BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (name, version)
);

CREATE TABLE chart_blobs (
    digest TEXT PRIMARY KEY,
    content {blob} NOT NULL
);

CREATE TABLE hooks (
    id TEXT PRIMARY KEY,
    project TEXT NOT NULL,
    url TEXT NOT NULL,
    secret {blob} NOT NULL,
    events TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE hook_deliveries (
    id TEXT PRIMARY KEY,
    hook_id TEXT NOT NULL,
    project TEXT NOT NULL,
    event TEXT NOT NULL,
    version TEXT NOT NULL,
    payload TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE hook_attempts (
    delivery_id TEXT NOT NULL,
    n BIGINT NOT NULL,
    at BIGINT NOT NULL,
    status_code BIGINT,
    latency_ms BIGINT NOT NULL,
    error TEXT NOT NULL,
    response TEXT NOT NULL,
    PRIMARY KEY (delivery_id, n)
);
