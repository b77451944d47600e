//! The pages a browser gets — GraphiQL at `/graphql` and the dashboard at `/` —
//! served from files embedded in the binary: every URL they name is on this
//! server, every file has its media type and cache lifetime, and each page is
//! off when its setting says so. (`tests/browser/run.sh` opens them in a real
//! browser with every other host blocked.)

mod common;

use common::TestDb;
use common::app::TestApp;
use lvzhi::config::Environment;
use lvzhi::server::assets::{self, FILES};
use regex::Regex;

/// GET `path` as a browser navigating to it.
async fn browse(app: &TestApp, path: &str) -> reqwest::Response {
    app.client
        .get(format!("{}{path}", app.address))
        .header("accept", "text/html,application/xhtml+xml,*/*;q=0.8")
        .send()
        .await
        .expect("the request is answered")
}

/// GET `path` with a header.
async fn get_with(app: &TestApp, path: &str, name: &str, value: &str) -> reqwest::Response {
    app.client
        .get(format!("{}{path}", app.address))
        .header(name, value)
        .send()
        .await
        .expect("the request is answered")
}

fn header<'a>(response: &'a reqwest::Response, name: &str) -> &'a str {
    response
        .headers()
        .get(name)
        .unwrap_or_else(|| panic!("no {name} header"))
        .to_str()
        .unwrap()
}

/// Every `src="…"` and `href="…"` of a page.
fn references(html: &str) -> Vec<String> {
    Regex::new(r#"(?:src|href)="([^"]*)""#)
        .unwrap()
        .captures_iter(html)
        .map(|c| c[1].to_owned())
        .collect()
}

/// `http://` and `https://` URLs in `text`, but the SVG namespace: a name in
/// `createElementNS`, never fetched.
fn absolute_urls(text: &str) -> Vec<String> {
    Regex::new(r#"(?i)https?://[^\s"'`)<>]+"#)
        .unwrap()
        .find_iter(text)
        .map(|m| m.as_str().to_owned())
        .filter(|url| url != "http://www.w3.org/2000/svg")
        .collect()
}

/// A page's references are relative paths on this server (or the empty
/// `data:,` icon, or a fragment of the page), and each is served with the
/// media type of its name.
async fn check_references(app: &TestApp, html: &str) {
    let refs = references(html);
    assert!(refs.len() >= 4, "{refs:?}");
    for r in refs
        .iter()
        .filter(|r| r.as_str() != "data:," && !r.starts_with('#'))
    {
        assert!(
            r.starts_with("assets/") && !r.contains(':') && !r.contains("//"),
            "{r} is not a relative path on this server"
        );
        let response = app.get(&format!("/{r}")).await;
        assert_eq!(response.status(), 200, "{r}");
        assert_eq!(header(&response, "content-type"), assets::content_type(r));
    }
}

#[tokio::test]
async fn graphiql_is_served_from_the_binary_and_names_no_other_host() {
    let app = TestApp::spawn(TestDb::sqlite().await).await;
    let page = browse(&app, "/graphql").await;
    assert_eq!(page.status(), 200);
    assert_eq!(header(&page, "content-type"), "text/html; charset=utf-8");
    let policy = header(&page, "content-security-policy");
    assert!(policy.contains("default-src 'self'") && policy.contains("connect-src 'self'"));
    let html = page.text().await.unwrap();
    assert!(html.contains("graphiql.min.js") && html.contains("react.production.min.js"));
    assert!(!html.contains("unpkg") && !html.contains("development.js"));
    assert_eq!(absolute_urls(&html), Vec::<String>::new());
    check_references(&app, &html).await;
    // The vendored stylesheet fetches nothing itself: its fonts and images are data: URLs.
    let css = app
        .get(&format!(
            "/assets/{}/graphiql/vendor/graphiql.min.css",
            assets::version()
        ))
        .await
        .text()
        .await
        .unwrap();
    assert!(!css.contains("@import"));
    let fetched = Regex::new(r"url\(\s*['\x22]?([^'\x22)]*)").unwrap();
    for url in fetched.captures_iter(&css) {
        assert!(
            url[1].starts_with("data:"),
            "the stylesheet fetches {}",
            &url[1]
        );
    }
}

#[tokio::test]
async fn the_files_we_wrote_name_no_other_host_and_import_only_their_neighbours() {
    // Static (`… from './x.js'`) and dynamic (`import('./x.js')`) imports.
    let imports = Regex::new(r#"(?:\bfrom\s+|\bimport\s*\(\s*)['"]([^'"]+)['"]"#).unwrap();
    for file in FILES.iter().filter(|f| !f.path.contains("/vendor/")) {
        let text = std::str::from_utf8(file.bytes).unwrap();
        assert_eq!(absolute_urls(text), Vec::<String>::new(), "{}", file.path);
        let dir = file.path.rsplit_once('/').map_or("", |(dir, _)| dir);
        for import in imports.captures_iter(text) {
            let module = import[1].trim_start_matches("./");
            assert!(
                import[1].starts_with("./")
                    && FILES.iter().any(|f| f.path == format!("{dir}/{module}")),
                "{} imports {}",
                file.path,
                &import[1]
            );
        }
    }
}

#[tokio::test]
async fn the_dashboard_is_served_to_browsers_at_the_root_and_other_clients_are_redirected_as_before()
 {
    let app = TestApp::spawn(TestDb::sqlite().await).await;
    let page = browse(&app, "/").await;
    assert_eq!(page.status(), 200);
    assert_eq!(header(&page, "content-type"), "text/html; charset=utf-8");
    assert_eq!(header(&page, "vary"), "Accept");
    assert!(header(&page, "content-security-policy").contains("connect-src 'self'"));
    let html = page.text().await.unwrap();
    assert!(html.contains("dashboard/app.js") && html.contains("履职事项清单"));
    assert_eq!(absolute_urls(&html), Vec::<String>::new());
    check_references(&app, &html).await;

    let no_redirects = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    for accept in [None, Some("application/json"), Some("*/*")] {
        let mut request = no_redirects.get(format!("{}/", app.address));
        if let Some(accept) = accept {
            request = request.header("accept", accept);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), 303, "{accept:?}");
        assert_eq!(header(&response, "location"), "/graphql");
    }
}

#[tokio::test]
async fn every_embedded_file_has_its_media_type_and_is_kept_a_year_under_its_version() {
    let app = TestApp::spawn(TestDb::sqlite().await).await;
    for file in FILES {
        let path = format!("/assets/{}/{}", assets::version(), file.path);
        let response = app.get(&path).await;
        assert_eq!(response.status(), 200, "{path}");
        assert_eq!(
            header(&response, "content-type"),
            assets::content_type(file.path)
        );
        assert_eq!(header(&response, "x-content-type-options"), "nosniff");
        assert_eq!(
            header(&response, "cache-control"),
            "public, max-age=31536000, immutable"
        );
        let etag = header(&response, "etag").to_owned();
        assert_eq!(
            response.bytes().await.unwrap().as_ref(),
            file.bytes,
            "{path}"
        );
        let again = get_with(&app, &path, "if-none-match", &etag).await;
        assert_eq!(again.status(), 304, "{path}");
    }
    // A page from before an upgrade names another version: it still gets the
    // file, but not for keeps; a name that is not embedded is not found.
    let old = app.get("/assets/000000000000/dashboard/app.js").await;
    assert_eq!(old.status(), 200);
    assert_eq!(header(&old, "cache-control"), "no-cache");
    for missing in [
        "dashboard/nothing.js",
        "dashboard/index.html",
        "../Cargo.toml",
    ] {
        let response = app
            .get(&format!("/assets/{}/{missing}", assets::version()))
            .await;
        assert_eq!(response.status(), 404, "{missing}");
    }
}

#[tokio::test]
async fn the_pages_are_revalidated_on_every_load() {
    let app = TestApp::spawn(TestDb::sqlite().await).await;
    for path in ["/", "/graphql"] {
        let page = browse(&app, path).await;
        assert_eq!(header(&page, "cache-control"), "no-cache", "{path}");
        let etag = header(&page, "etag").to_owned();
        let again = app
            .client
            .get(format!("{}{path}", app.address))
            .header("accept", "text/html")
            .header("if-none-match", &etag)
            .send()
            .await
            .unwrap();
        assert_eq!(again.status(), 304, "{path}");
    }
}

#[tokio::test]
async fn the_dashboard_is_off_when_disabled() {
    let app = TestApp::spawn_with(TestDb::sqlite().await, |c| c.dashboard = false).await;
    let page = browse(&app, "/").await;
    // Followed, the redirect leads a browser to GraphiQL, as before the dashboard.
    assert_eq!(page.url().path(), "/graphql");
    assert!(page.text().await.unwrap().contains("graphiql.min.js"));
    for file in FILES.iter().filter(|f| f.path.starts_with("dashboard/")) {
        let path = format!("/assets/{}/{}", assets::version(), file.path);
        assert_eq!(app.get(&path).await.status(), 404, "{path}");
    }
}

#[tokio::test]
async fn graphiql_and_its_files_are_off_in_production_and_the_dashboard_stays_on() {
    let app = TestApp::spawn_with(TestDb::sqlite().await, |c| {
        c.environment = Environment::Production
    })
    .await;
    assert_eq!(browse(&app, "/graphql").await.status(), 400);
    for file in FILES.iter().filter(|f| f.path.starts_with("graphiql/")) {
        let path = format!("/assets/{}/{}", assets::version(), file.path);
        assert_eq!(app.get(&path).await.status(), 404, "{path}");
    }
    let page = browse(&app, "/").await;
    assert_eq!(page.status(), 200);
    check_references(&app, &page.text().await.unwrap()).await;
}
