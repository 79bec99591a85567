//! verso's own chart repository: packages and their index rows live in the database (so every
//! replica serves the same charts), identified by the Chart.yaml inside the archive. A version
//! is written once: the same bytes again are a no-op, other bytes a conflict.

use serde_json::Value;
use sqlx::Row;
use verso_registry::chart::{read_archive, Index, Limits, Metadata};
use verso_registry::{digest, time};

use crate::api::StoredChart;
use crate::db::{self, Db};
use crate::error::ApiError;

/// Uploads are refused above this size.
pub(crate) const MAX_CHART_BYTES: usize = 20 * 1024 * 1024;

/// What an upload did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Stored {
    Created {
        name: String,
        version: String,
        digest: String,
    },
    Present {
        name: String,
        version: String,
        digest: String,
    },
}

/// Reads and checks an archive (safely: no escapes, links or bombs).
pub(crate) fn inspect(bytes: &[u8], origin: &str) -> Result<Metadata, ApiError> {
    if bytes.len() > MAX_CHART_BYTES {
        return Err(ApiError::TooLarge(format!(
            "{origin} is {} bytes; charts up to {MAX_CHART_BYTES} bytes are accepted",
            bytes.len()
        )));
    }
    read_archive(bytes, origin, &Limits::default())
        .map(|chart| chart.metadata)
        .map_err(|error| ApiError::BadRequest(error.to_string()))
}

/// Stores a chart archive.
pub(crate) async fn store(db: &Db, bytes: &[u8]) -> Result<Stored, ApiError> {
    let metadata = inspect(bytes, "the uploaded chart")?;
    let digest = digest::sha256(bytes);
    let mut entry = metadata.fields.clone();
    entry.insert(
        "apiVersion".into(),
        Value::String(metadata.api_version.clone()),
    );
    let (name, version) = (metadata.name.clone(), metadata.version.clone());
    let mut tx = db.pool.begin().await?;
    let inserted = sqlx::query(
        "INSERT INTO charts (name, version, digest, metadata, size, created_at) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (name, version) DO NOTHING",
    )
    .bind(&name)
    .bind(&version)
    .bind(&digest)
    .bind(serde_json::to_string(&entry)?)
    .bind(bytes.len() as i64)
    .bind(db::now_ms())
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if inserted == 1 {
        sqlx::query(
            "INSERT INTO chart_blobs (digest, content) VALUES ($1, $2) ON CONFLICT (digest) DO NOTHING",
        )
        .bind(&digest)
        .bind(bytes.to_vec())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        return Ok(Stored::Created {
            name,
            version,
            digest,
        });
    }
    tx.rollback().await?;
    let existing: String =
        sqlx::query_scalar("SELECT digest FROM charts WHERE name = $1 AND version = $2")
            .bind(&name)
            .bind(&version)
            .fetch_one(&db.pool)
            .await?;
    if existing == digest {
        Ok(Stored::Present {
            name,
            version,
            digest,
        })
    } else {
        Err(ApiError::Conflict(format!(
            "chart {name} {version} exists with other content ({existing}); chart versions are immutable: upload a new version"
        )))
    }
}

/// The archive of `name` `version`, with its digest.
pub(crate) async fn fetch(
    db: &Db,
    name: &str,
    version: &str,
) -> Result<Option<(Vec<u8>, String)>, sqlx::Error> {
    let row = sqlx::query(
        "SELECT c.digest, b.content FROM charts c JOIN chart_blobs b ON b.digest = c.digest WHERE c.name = $1 AND c.version = $2",
    )
    .bind(name)
    .bind(version)
    .fetch_optional(&db.pool)
    .await?;
    row.map(|row| Ok((row.try_get("content")?, row.try_get("digest")?)))
        .transpose()
}

/// Every stored chart, by name then version.
pub(crate) async fn list(db: &Db, name: Option<&str>) -> Result<Vec<StoredChart>, sqlx::Error> {
    const COLUMNS: &str = "SELECT name, version, digest, size, created_at FROM charts";
    let rows = match name {
        Some(name) => {
            sqlx::query(&format!(
                "{COLUMNS} WHERE name = $1 ORDER BY name, created_at"
            ))
            .bind(name)
            .fetch_all(&db.pool)
            .await?
        }
        None => {
            sqlx::query(&format!("{COLUMNS} ORDER BY name, created_at"))
                .fetch_all(&db.pool)
                .await?
        }
    };
    rows.iter()
        .map(|row| {
            Ok(StoredChart {
                name: row.try_get("name")?,
                version: row.try_get("version")?,
                digest: row.try_get("digest")?,
                size: row.try_get("size")?,
                created_at: row.try_get("created_at")?,
            })
        })
        .collect()
}

/// The versions of chart `name`.
pub(crate) async fn versions(db: &Db, name: &str) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar("SELECT version FROM charts WHERE name = $1")
        .bind(name)
        .fetch_all(&db.pool)
        .await
}

/// Removes a version; its bytes go when no other version shares them.
pub(crate) async fn delete(
    db: &Db,
    name: &str,
    version: &str,
) -> Result<Option<String>, sqlx::Error> {
    let mut tx = db.pool.begin().await?;
    let digest: Option<String> =
        sqlx::query_scalar("DELETE FROM charts WHERE name = $1 AND version = $2 RETURNING digest")
            .bind(name)
            .bind(version)
            .fetch_optional(&mut *tx)
            .await?;
    if let Some(digest) = &digest {
        sqlx::query(
            "DELETE FROM chart_blobs WHERE digest = $1 AND NOT EXISTS (SELECT 1 FROM charts WHERE digest = $1)",
        )
        .bind(digest)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(digest)
}

/// The URL of a stored package.
pub(crate) fn chart_url(public_url: &str, name: &str, version: &str) -> String {
    format!("{public_url}/charts/{name}-{version}.tgz")
}

/// `index.yaml` with absolute URLs (so it reads the same from the repository root `/charts`
/// and from `/`), and its ETag. `generated` is the newest upload's time, so the bytes (and the
/// ETag) change only when the charts do.
pub(crate) async fn index(db: &Db, public_url: &str) -> Result<(String, String), ApiError> {
    let rows = sqlx::query("SELECT name, version, digest, metadata, created_at FROM charts")
        .fetch_all(&db.pool)
        .await?;
    let mut newest = 0i64;
    let mut entries = Vec::with_capacity(rows.len());
    for row in &rows {
        let name: String = row.try_get("name")?;
        let version: String = row.try_get("version")?;
        let digest: String = row.try_get("digest")?;
        let created_at: i64 = row.try_get("created_at")?;
        newest = newest.max(created_at);
        let mut entry: serde_json::Map<String, Value> = db::json_column(row, "metadata")?;
        entry.insert(
            "urls".into(),
            Value::Array(vec![Value::String(chart_url(public_url, &name, &version))]),
        );
        entry.insert(
            "created".into(),
            Value::String(time::rfc3339(created_at / 1000)),
        );
        entry.insert(
            "digest".into(),
            Value::String(digest.trim_start_matches("sha256:").to_owned()),
        );
        entries.push(entry);
    }
    let mut index = Index::new(&time::rfc3339(newest / 1000));
    for entry in entries {
        index
            .add(entry)
            .map_err(|error| ApiError::Internal(error.into()))?;
    }
    index.sort();
    let yaml = index
        .to_yaml()
        .map_err(|error| ApiError::Internal(error.into()))?;
    let etag = format!(
        "\"{}\"",
        digest::sha256(yaml.as_bytes()).trim_start_matches("sha256:")
    );
    Ok((yaml, etag))
}
