//! Browser files embedded in the binary: the GraphiQL page (GraphiQL and React
//! from `assets/graphiql/vendor/`, refreshed from the npm registry by
//! `scripts/refresh-graphiql.sh`) and the reference dashboard
//! (`assets/dashboard/`). Nothing is read from disk at run time and no page
//! refers to another host, so both work on an intranet without internet; the
//! pages' Content-Security-Policy makes the browser refuse any request that
//! would leave the server, should a library try one.
//!
//! Files are served under `/assets/{version}/…`, where the version is a hash of
//! every embedded file: a browser keeps them for a year (`immutable`), and a
//! binary with different files has different URLs, so no stale copy is ever
//! used. The two HTML pages, which name those URLs, are rendered once and
//! revalidated on every load (`no-cache` with an ETag). URLs in the pages are
//! relative, so lvzhi also works behind a proxy that serves it under a prefix.

use std::sync::LazyLock;

use poem::http::{HeaderValue, StatusCode, header};
use poem::web::{Data, Path};
use poem::{Request, Response, handler};
use sha2::{Digest, Sha256};

/// Files switched on and off together.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Group {
    /// The GraphiQL page's files: off in production.
    GraphiQL,
    /// The dashboard's files: off with `LVZHI_DASHBOARD=off`.
    Dashboard,
}

/// Which groups a server serves.
#[derive(Clone, Copy, Debug)]
pub struct Enabled {
    /// GraphiQL (development only).
    pub graphiql: bool,
    /// The dashboard (`LVZHI_DASHBOARD`).
    pub dashboard: bool,
}

impl Enabled {
    fn serves(self, group: Group) -> bool {
        match group {
            Group::GraphiQL => self.graphiql,
            Group::Dashboard => self.dashboard,
        }
    }
}

/// One embedded file, by its path under `assets/`.
pub struct File {
    /// Path under `assets/`, which is also its path under `/assets/{version}/`.
    pub path: &'static str,
    /// The group that serves it.
    pub group: Group,
    /// Its content.
    pub bytes: &'static [u8],
}

/// `file!(Group, "path/under/assets")`: an embedded [`File`].
macro_rules! file {
    ($group:expr, $path:literal) => {
        File {
            path: $path,
            group: $group,
            bytes: include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/assets/", $path)),
        }
    };
}

/// Every file served under `/assets/{version}/`. The HTML pages are not here:
/// they are templates, rendered with the version ([`graphiql_page`],
/// [`dashboard_page`]).
pub const FILES: &[File] = &[
    file!(Group::GraphiQL, "graphiql/start.js"),
    file!(Group::GraphiQL, "graphiql/page.css"),
    file!(Group::GraphiQL, "graphiql/vendor/graphiql.min.js"),
    file!(Group::GraphiQL, "graphiql/vendor/graphiql.min.css"),
    file!(Group::GraphiQL, "graphiql/vendor/react.production.min.js"),
    file!(
        Group::GraphiQL,
        "graphiql/vendor/react-dom.production.min.js"
    ),
    file!(Group::GraphiQL, "graphiql/vendor/LICENSE.graphiql"),
    file!(Group::GraphiQL, "graphiql/vendor/LICENSE.react"),
    file!(Group::GraphiQL, "graphiql/vendor/LICENSE.react-dom"),
    file!(Group::GraphiQL, "graphiql/vendor/VERSIONS"),
    file!(Group::Dashboard, "dashboard/style.css"),
    file!(Group::Dashboard, "dashboard/app.js"),
    file!(Group::Dashboard, "dashboard/api.js"),
    file!(Group::Dashboard, "dashboard/dom.js"),
    file!(Group::Dashboard, "dashboard/routes.js"),
    file!(Group::Dashboard, "dashboard/charts.js"),
    file!(Group::Dashboard, "dashboard/network.js"),
    file!(Group::Dashboard, "dashboard/views.js"),
];

/// The GraphiQL page's template.
const GRAPHIQL_HTML: &str = include_str!("../../assets/graphiql/index.html");
/// The dashboard page's template.
const DASHBOARD_HTML: &str = include_str!("../../assets/dashboard/index.html");
/// What the templates write where the asset prefix goes.
const PREFIX_MARK: &str = "{{assets}}";

/// The browser may load scripts, styles and data only from this server (images
/// and fonts also from `data:` URLs, as GraphiQL's stylesheet inlines them);
/// GraphiQL and its editor set inline styles.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
     style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; \
     connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'";

/// A page rendered with the asset prefix.
struct Page {
    html: String,
    etag: String,
}

/// The version, the files' ETags and the rendered pages, computed once.
struct Catalog {
    version: String,
    etags: Vec<String>,
    graphiql: Page,
    dashboard: Page,
}

static CATALOG: LazyLock<Catalog> = LazyLock::new(|| {
    let mut all = Sha256::new();
    for f in FILES {
        all.update(f.path.as_bytes());
        all.update((f.bytes.len() as u64).to_le_bytes());
        all.update(f.bytes);
    }
    all.update(GRAPHIQL_HTML);
    all.update(DASHBOARD_HTML);
    let version = hex(&all.finalize()[..6]);
    let page = |template: &str| {
        let html = template.replace(PREFIX_MARK, &format!("assets/{version}"));
        let etag = etag(html.as_bytes());
        Page { html, etag }
    };
    Catalog {
        etags: FILES.iter().map(|f| etag(f.bytes)).collect(),
        graphiql: page(GRAPHIQL_HTML),
        dashboard: page(DASHBOARD_HTML),
        version,
    }
});

/// The version in the assets' URLs: a hash of every embedded file.
pub fn version() -> &'static str {
    &CATALOG.version
}

/// Hash the files now rather than on the first request.
pub fn prepare() {
    LazyLock::force(&CATALOG);
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn etag(bytes: &[u8]) -> String {
    format!("\"{}\"", hex(&Sha256::digest(bytes)[..8]))
}

/// The media type of a file, by its name.
pub fn content_type(path: &str) -> &'static str {
    match path.rsplit_once('.').map(|(_, ext)| ext) {
        Some("js") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("html") => "text/html; charset=utf-8",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        // LICENSE.*, VERSIONS.
        _ => "text/plain; charset=utf-8",
    }
}

/// Whether the request already holds the representation tagged `etag`.
fn fresh(req: &Request, etag: &str) -> bool {
    req.headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"))
}

/// `body` with its type, validator and caching, or 304 when the client has it.
fn respond(
    req: &Request,
    body: &'static [u8],
    content_type: &str,
    etag: &str,
    cache: &'static str,
) -> Response {
    let builder = Response::builder()
        .header(header::ETAG, etag)
        .header(header::CACHE_CONTROL, cache)
        .header(header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    if fresh(req, etag) {
        builder.status(StatusCode::NOT_MODIFIED).finish()
    } else {
        builder.content_type(content_type).body(body)
    }
}

/// An HTML page: revalidated on every load, its content negotiated on `Accept`,
/// under the Content-Security-Policy that keeps the browser on this server.
fn page(req: &Request, page: &'static Page) -> Response {
    let mut response = respond(
        req,
        page.html.as_bytes(),
        "text/html; charset=utf-8",
        &page.etag,
        "no-cache",
    );
    let headers = response.headers_mut();
    headers.insert(header::VARY, HeaderValue::from_static("Accept"));
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    response
}

/// The GraphiQL page (served by `/graphql` to a browser, outside production).
pub fn graphiql_page(req: &Request) -> Response {
    page(req, &CATALOG.graphiql)
}

/// The dashboard page (served by `/` to a browser, when switched on).
pub fn dashboard_page(req: &Request) -> Response {
    page(req, &CATALOG.dashboard)
}

/// Whether a request comes from a browser navigating to a page.
pub fn wants_html(req: &Request) -> bool {
    req.headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/html"))
}

/// `GET /assets/{version}/{path}`: an embedded file of a group this server
/// serves. A URL with another version (a page loaded before an upgrade) still
/// gets the current file, but not for keeps.
#[handler]
pub fn serve(
    req: &Request,
    Path((version, path)): Path<(String, String)>,
    enabled: Data<&Enabled>,
) -> Response {
    let found = FILES
        .iter()
        .position(|f| f.path == path && enabled.serves(f.group));
    let Some(index) = found else {
        return Response::builder()
            .status(StatusCode::NOT_FOUND)
            .content_type("text/plain; charset=utf-8")
            .body("not found");
    };
    let cache = if version == CATALOG.version {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    let file = &FILES[index];
    respond(
        req,
        file.bytes,
        content_type(file.path),
        &CATALOG.etags[index],
        cache,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `VERSIONS` as written by `scripts/refresh-graphiql.sh`: (package, file, sha256).
    fn versions() -> Vec<(&'static str, &'static str, &'static str)> {
        let text = FILES
            .iter()
            .find(|f| f.path == "graphiql/vendor/VERSIONS")
            .map(|f| std::str::from_utf8(f.bytes).unwrap())
            .unwrap();
        text.lines()
            .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
            .map(|l| {
                let mut fields = l.split_whitespace();
                let mut next = || fields.next().expect("three fields");
                (next(), next(), next())
            })
            .collect()
    }

    #[test]
    fn every_vendored_file_is_embedded_and_matches_its_recorded_checksum() {
        let recorded = versions();
        let vendored: Vec<&File> = FILES
            .iter()
            .filter(|f| f.path.starts_with("graphiql/vendor/") && !f.path.ends_with("VERSIONS"))
            .collect();
        assert_eq!(recorded.len(), vendored.len(), "{recorded:?}");
        for (package, name, sha256) in recorded {
            let file = vendored
                .iter()
                .find(|f| f.path == format!("graphiql/vendor/{name}"))
                .unwrap_or_else(|| panic!("{name} ({package}) is not embedded"));
            assert_eq!(
                hex(&Sha256::digest(file.bytes)),
                sha256,
                "{name} differs from what scripts/refresh-graphiql.sh fetched from {package}"
            );
        }
    }

    #[test]
    fn pages_name_every_asset_by_the_versioned_relative_prefix() {
        for page in [&CATALOG.graphiql, &CATALOG.dashboard] {
            assert!(!page.html.contains(PREFIX_MARK));
            assert!(page.html.contains(&format!("assets/{}/", version())));
        }
        assert_eq!(version().len(), 12);
    }

    #[test]
    fn content_types_follow_the_file_name() {
        assert_eq!(content_type("a/b.js"), "text/javascript; charset=utf-8");
        assert_eq!(content_type("b.min.css"), "text/css; charset=utf-8");
        assert_eq!(
            content_type("vendor/LICENSE.react"),
            "text/plain; charset=utf-8"
        );
        assert_eq!(content_type("vendor/VERSIONS"), "text/plain; charset=utf-8");
    }
}
