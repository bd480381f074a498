//! The HTTP side of the lab (README, "HTTP API"): router, handlers and the
//! middleware that counts requests and turns every error into JSON.

use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::header::{ACCEPT, CACHE_CONTROL, CONTENT_LENGTH, CONTENT_TYPE};
use axum::http::{HeaderValue, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};
use tower_http::compression::CompressionLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::timeout::TimeoutLayer;

use crate::sim::{self, Snapshot};
use crate::App;

/// Largest request body accepted; a kick power fits in a few dozen bytes.
const BODY_LIMIT: usize = 4 * 1024;
/// Longest time a request may take, body upload included.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

const INDEX_HTML: &str = include_str!("page/index.html");
const APP_JS: &str = include_str!("page/app.js");
const STYLES_CSS: &str = include_str!("page/styles.css");

/// The router with every endpoint and the middleware stack.
pub(crate) fn router(app: Arc<App>) -> Router {
    router_with_timeout(app, REQUEST_TIMEOUT)
}

/// [`router`] with a chosen request timeout (tests use a short one).
fn router_with_timeout(app: Arc<App>, timeout: Duration) -> Router {
    Router::new()
        .route("/", get(index))
        .route("/static/app.js", get(app_js))
        .route("/static/styles.css", get(styles_css))
        .route("/metrics", get(metrics))
        .route("/state", get(state))
        .route("/kick_power", get(get_kick_power).put(put_kick_power))
        .route("/start", post(start))
        .route("/abort", post(abort))
        .route("/healthz", get(healthz))
        .fallback(not_found)
        // The last layer added is the outermost: the request counter sees
        // every final status (408 and 413 included), and the JSON error
        // rewrite sees the plain-text answers of the router and the two
        // protective layers before compression does.
        .layer(RequestBodyLimitLayer::new(BODY_LIMIT))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            timeout,
        ))
        .layer(middleware::from_fn(json_errors))
        .layer(CompressionLayer::new())
        .layer(middleware::from_fn_with_state(app.clone(), count_requests))
        .with_state(app)
}

/// A JSON error response.
fn error(status: StatusCode, message: impl Into<String>) -> Response {
    (status, Json(json!({ "error": message.into() }))).into_response()
}

/// A JSON number, integral when the value is (`27`, not `27.0`).
fn number(x: f64) -> Value {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        // Exact: integral and far below 2^53.
        json!(x as i64)
    } else {
        json!(x)
    }
}

async fn index() -> Html<&'static str> {
    Html(INDEX_HTML)
}

async fn app_js() -> impl IntoResponse {
    ([(CONTENT_TYPE, "text/javascript; charset=utf-8")], APP_JS)
}

async fn styles_css() -> impl IntoResponse {
    ([(CONTENT_TYPE, "text/css; charset=utf-8")], STYLES_CSS)
}

async fn healthz() -> &'static str {
    "ok"
}

async fn metrics(State(app): State<Arc<App>>, request: Request) -> Response {
    let accept = request.headers().get(ACCEPT).and_then(|v| v.to_str().ok());
    let format = beamline::negotiate(accept);
    let body = app.metrics().registry().encode_to_vec(format);
    (
        [
            (
                CONTENT_TYPE,
                HeaderValue::from_static(format.content_type()),
            ),
            (CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
        body,
    )
        .into_response()
}

async fn state(State(app): State<Arc<App>>) -> Json<Value> {
    Json(state_json(&app.snapshot()))
}

/// The `/state` document: the machine as the page and scripts see it.
fn state_json(snap: &Snapshot) -> Value {
    let beam = snap.beam;
    json!({
        "state": snap.state.as_str(),
        "state_code": snap.state.code(),
        "run_id": snap.run_id,
        "elapsed_seconds": snap.elapsed.as_secs_f64(),
        "kick_power": number(snap.kick_power),
        "energy_ev": snap.energy_ev,
        "gamma": beam.map_or(0.0, |b| b.gamma),
        "beta": beam.map_or(0.0, |b| b.beta),
        "speed_m_s": beam.map_or(0.0, |b| b.speed),
        "speed_deficit_m_s": beam.map_or(sim::C, |b| b.speed_deficit),
        "revolution_frequency_hz": beam.map_or(0.0, |b| b.revolution_frequency),
        "dipole_field_t": snap.dipole_field,
        "magnet_load_ratio": snap.magnet_load,
        "rf_energy_gain_per_turn_ev": snap.rf_gain_ev,
        "turns": snap.turns,
        "last_outcome": snap.last_outcome.map(|o| o.as_str()),
        "ramp_seconds": snap.ramp_seconds,
        "target_energy_ev": sim::TOP_EV,
        "run_window_seconds": sim::RUN_WINDOW.as_secs_f64(),
    })
}

async fn get_kick_power(State(app): State<Arc<App>>) -> Json<Value> {
    Json(json!({ "kick_power": number(app.kick_power()) }))
}

/// `PUT /kick_power` with `{"kick_power": <number>}`. Any content type is
/// accepted, so that `curl -d` works as in the workshop.
async fn put_kick_power(State(app): State<Arc<App>>, body: Bytes) -> Response {
    let k = match parse_kick_power(&body) {
        Ok(k) => k,
        Err((status, message)) => return error(status, message),
    };
    match app.set_kick_power(k) {
        Ok(k) => Json(json!({ "kick_power": number(k) })).into_response(),
        Err(e) => error(StatusCode::UNPROCESSABLE_ENTITY, e.to_string()),
    }
}

/// Reads the kick power out of a request body: 400 when the body is not
/// JSON, 422 when it is JSON but not a finite number under `kick_power`.
fn parse_kick_power(body: &[u8]) -> Result<f64, (StatusCode, String)> {
    let not_finite = || {
        let message = "kick power must be a finite number in [0, 100]";
        (StatusCode::UNPROCESSABLE_ENTITY, message.to_owned())
    };
    let value: Value = match serde_json::from_slice(body) {
        Ok(value) => value,
        Err(_) if overflowing_or_non_finite(body) => return Err(not_finite()),
        Err(e) => return Err((StatusCode::BAD_REQUEST, format!("malformed json: {e}"))),
    };
    match value.get("kick_power") {
        Some(Value::Number(n)) => n.as_f64().ok_or_else(not_finite),
        // JavaScript's JSON.stringify turns NaN and infinities into null.
        Some(Value::Null) => Err(not_finite()),
        _ => {
            let message = r#"body must be {"kick_power": <number>}"#;
            Err((StatusCode::UNPROCESSABLE_ENTITY, message.to_owned()))
        }
    }
}

/// Whether a body that serde_json refused is well-formed apart from its
/// numbers: a literal too large for f64 (`1e999`), or the `NaN` and
/// `Infinity` tokens that Python's json module writes.
fn overflowing_or_non_finite(body: &[u8]) -> bool {
    // IgnoredAny skips numbers without converting them, so it accepts
    // `1e999` while checking all the rest of the syntax.
    if serde_json::from_slice::<serde::de::IgnoredAny>(body).is_ok() {
        return true;
    }
    let Ok(text) = std::str::from_utf8(body) else {
        return false;
    };
    let replaced = text
        .replace("-Infinity", "null")
        .replace("Infinity", "null")
        .replace("NaN", "null");
    replaced != text && serde_json::from_str::<serde::de::IgnoredAny>(&replaced).is_ok()
}

async fn start(State(app): State<Arc<App>>) -> Response {
    match app.start() {
        Ok(run_id) => (
            StatusCode::ACCEPTED,
            Json(json!({ "run_id": run_id, "state": "accelerating" })),
        )
            .into_response(),
        Err(e) => error(StatusCode::CONFLICT, e.to_string()),
    }
}

async fn abort(State(app): State<Arc<App>>) -> Response {
    match app.abort() {
        Ok(outcome) => {
            Json(json!({ "state": "stopped", "outcome": outcome.as_str() })).into_response()
        }
        Err(e) => error(StatusCode::CONFLICT, e.to_string()),
    }
}

async fn not_found(request: Request) -> Response {
    let path = request.uri().path().chars().take(200).collect::<String>();
    error(StatusCode::NOT_FOUND, format!("no such path: {path}"))
}

/// The `route` label of a path: one of a fixed set, so the number of series
/// stays bounded whatever clients request.
pub(crate) fn route_label(path: &str) -> &'static str {
    match path {
        "/" => "/",
        "/metrics" => "/metrics",
        "/state" => "/state",
        "/kick_power" => "/kick_power",
        "/start" => "/start",
        "/abort" => "/abort",
        "/healthz" => "/healthz",
        p if p.starts_with("/static/") => "/static",
        _ => "other",
    }
}

/// The `method` label: the standard methods, anything else as `other`.
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::PATCH => "PATCH",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

/// Counts every request by route, method and final status code.
async fn count_requests(State(app): State<Arc<App>>, request: Request, next: Next) -> Response {
    let route = route_label(request.uri().path());
    let method = method_label(request.method());
    let response = next.run(request).await;
    app.metrics()
        .count_request(route, method, response.status().as_str());
    response
}

/// Gives every error response a JSON body: the router's own 405, and the
/// 408 and 413 of the timeout and body-limit layers, come without one.
async fn json_errors(request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    let status = response.status();
    let is_json = response
        .headers()
        .get(CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if !(status.is_client_error() || status.is_server_error()) || is_json {
        return response;
    }
    let (mut parts, _) = response.into_parts();
    let reason = status
        .canonical_reason()
        .unwrap_or("request failed")
        .to_lowercase();
    let body = json!({ "error": reason }).to_string();
    parts.headers.remove(CONTENT_LENGTH);
    parts
        .headers
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    Response::from_parts(parts, Body::from(body))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::header::{ACCEPT_ENCODING, ALLOW, CONTENT_ENCODING};
    use axum::http::HeaderMap;
    use tower::ServiceExt;

    const OPENMETRICS: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";
    const ROUTES: [&str; 9] = [
        "/",
        "/static",
        "/metrics",
        "/state",
        "/kick_power",
        "/start",
        "/abort",
        "/healthz",
        "other",
    ];

    fn app(k: f64, time_scale: f64) -> Arc<App> {
        Arc::new(App::new(k, time_scale).unwrap())
    }

    type Reply = (StatusCode, HeaderMap, Bytes);

    async fn send(
        app: &Arc<App>,
        method: &str,
        uri: &str,
        hs: &[(&str, &str)],
        body: &str,
    ) -> Reply {
        let mut request = Request::builder().method(method).uri(uri);
        for (name, value) in hs {
            request = request.header(*name, *value);
        }
        let request = request.body(Body::from(body.to_owned())).unwrap();
        let (parts, body) = router(app.clone())
            .oneshot(request)
            .await
            .unwrap()
            .into_parts();
        let bytes = axum::body::to_bytes(body, usize::MAX).await.unwrap();
        (parts.status, parts.headers, bytes)
    }

    async fn send_json(app: &Arc<App>, method: &str, uri: &str, body: &str) -> (StatusCode, Value) {
        let (status, headers, bytes) = send(app, method, uri, &[], body).await;
        assert_eq!(headers[CONTENT_TYPE], "application/json", "{method} {uri}");
        (status, serde_json::from_slice(&bytes).unwrap())
    }

    /// An OpenMetrics scrape of the app.
    struct Scrape(String);

    impl Scrape {
        async fn of(app: &Arc<App>) -> Scrape {
            let (status, headers, body) =
                send(app, "GET", "/metrics", &[("accept", OPENMETRICS)], "").await;
            assert_eq!(status, StatusCode::OK);
            assert_eq!(headers[CONTENT_TYPE], OPENMETRICS);
            Scrape(String::from_utf8(body.to_vec()).unwrap())
        }

        /// The value of the one sample line of `series`.
        fn value(&self, series: &str) -> f64 {
            let prefix = format!("{series} ");
            let mut hits = self
                .0
                .lines()
                .filter_map(|l| l.strip_prefix(prefix.as_str()));
            let line = hits
                .next()
                .unwrap_or_else(|| panic!("no {series} in\n{}", self.0));
            assert!(hits.next().is_none(), "{series} appears twice");
            line.split(' ').next().unwrap().parse().unwrap()
        }

        fn state(&self, state: &str) -> f64 {
            self.value(&format!(
                r#"accelerator_state{{accelerator_state="{state}"}}"#
            ))
        }

        fn line(&self, start: &str) -> &str {
            self.0
                .lines()
                .find(|l| l.starts_with(start))
                .unwrap_or_else(|| panic!("{start}"))
        }
    }

    #[tokio::test]
    async fn page_and_assets_are_embedded() {
        let app = app(27.0, 1.0);
        for (path, kind, text) in [
            ("/", "text/html", INDEX_HTML),
            ("/static/app.js", "text/javascript", APP_JS),
            ("/static/styles.css", "text/css", STYLES_CSS),
        ] {
            let (status, headers, body) = send(&app, "GET", path, &[], "").await;
            assert_eq!((status, &body[..]), (StatusCode::OK, text.as_bytes()));
            assert!(headers[CONTENT_TYPE].to_str().unwrap().starts_with(kind));
            assert!(
                !text.contains("https://") && !text.contains("http://"),
                "no CDN"
            );
        }
        assert!(INDEX_HTML.contains(r#"<canvas id="ring" width="500" height="450""#));
        assert!(INDEX_HTML.contains(r#"src="/static/app.js""#));
        let (status, _, body) = send(&app, "GET", "/healthz", &[], "").await;
        assert_eq!((status, &body[..]), (StatusCode::OK, &b"ok"[..]));
    }

    #[tokio::test]
    async fn metrics_negotiates_openmetrics_and_prometheus_text() {
        let app = app(27.0, 1.0);
        let om = Scrape::of(&app).await;
        assert!(om.0.ends_with("# EOF\n"), "{}", om.0);
        assert!(om.0.contains("# TYPE accelerator_state stateset\n"));
        assert!(om
            .0
            .contains("# UNIT accelerator_beam_energy_electronvolts electronvolts\n"));
        assert_eq!((om.state("stopped"), om.state("accelerating")), (1.0, 0.0));
        for outcome in ["success", "quenched", "timed_out", "aborted"] {
            let series = format!(r#"accelerator_runs_total{{outcome="{outcome}"}}"#);
            assert_eq!(om.value(&series), 0.0, "{outcome} pre-initialised");
        }
        assert_eq!(om.value("accelerator_kick_power_ratio"), 0.27);
        assert_eq!(
            om.value("accelerator_beam_speed_deficit_meters_per_second"),
            sim::C
        );
        assert_eq!(om.value("accelerator_target_energy_electronvolts"), 6.8e12);
        let version = concat!(r#"version=""#, env!("CARGO_PKG_VERSION"), r#"""#);
        assert!(om.line("accelerator_build_info{").contains(version));

        let (status, headers, body) = send(&app, "GET", "/metrics", &[], "").await;
        let text = String::from_utf8(body.to_vec()).unwrap();
        assert_eq!(status, StatusCode::OK);
        assert_eq!(
            headers[CONTENT_TYPE],
            "text/plain; version=0.0.4; charset=utf-8"
        );
        assert!(
            !text.contains("# EOF") && !text.contains("# UNIT"),
            "{text}"
        );
        assert!(text.contains("# TYPE accelerator_state gauge\n"));
    }

    #[tokio::test]
    async fn responses_are_gzipped_when_accepted() {
        let app = app(27.0, 1.0);
        let hs = [("accept", OPENMETRICS), ("accept-encoding", "gzip")];
        let (status, headers, body) = send(&app, "GET", "/metrics", &hs, "").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(headers[CONTENT_ENCODING], "gzip");
        assert_eq!(headers[CONTENT_TYPE], OPENMETRICS);
        assert_eq!(&body[..2], &[0x1f, 0x8b], "gzip magic");
        let (_, headers, _) = send(&app, "GET", "/metrics", &[], "").await;
        assert!(headers.get(CONTENT_ENCODING).is_none());
        let (_, headers, _) =
            send(&app, "GET", "/", &[(ACCEPT_ENCODING.as_str(), "gzip")], "").await;
        assert_eq!(headers[CONTENT_ENCODING], "gzip");
    }

    #[tokio::test]
    async fn kick_power_reads_and_writes_with_parity() {
        let app = app(27.0, 1.0);
        let reply = send_json(&app, "GET", "/kick_power", "").await;
        assert_eq!(reply, (StatusCode::OK, json!({ "kick_power": 27 })));
        for (body, k) in [
            (r#"{"kick_power": 35}"#, json!(35)),
            (r#"{"kick_power":49.5}"#, json!(49.5)),
        ] {
            let reply = send_json(&app, "PUT", "/kick_power", body).await;
            assert_eq!(reply, (StatusCode::OK, json!({ "kick_power": k })));
        }
        // Values that quench are accepted on purpose.
        let (status, _) = send_json(&app, "PUT", "/kick_power", r#"{"kick_power":100}"#).await;
        assert_eq!((status, app.kick_power()), (StatusCode::OK, 100.0));
        let om = Scrape::of(&app).await;
        assert_eq!(om.value("accelerator_kick_power_changes_total"), 3.0);
        assert_eq!(om.value("accelerator_kick_power_ratio"), 1.0);
        assert_eq!(
            app.snapshot().kick_power,
            100.0,
            "visible before the next tick"
        );
    }

    #[tokio::test]
    async fn bad_kick_power_bodies_get_400_or_422() {
        let app = app(27.0, 1.0);
        let malformed = [
            "",
            "{",
            "kick_power=35",
            r#"{"kick_power": 35,}"#,
            "\u{ff}\u{fe}",
        ];
        let unprocessable = [
            r#"{"kick_power": 100.5}"#,
            r#"{"kick_power": -1}"#,
            r#"{"kick_power": 1e999}"#,
            r#"{"kick_power": -1e999}"#,
            r#"{"kick_power": NaN}"#,
            r#"{"kick_power": Infinity}"#,
            r#"{"kick_power": null}"#,
            r#"{"kick_power": "35"}"#,
            r#"{"power": 35}"#,
            "35",
            "[]",
        ];
        let cases = malformed.iter().map(|b| (b, StatusCode::BAD_REQUEST));
        for (body, expected) in cases.chain(
            unprocessable
                .iter()
                .map(|b| (b, StatusCode::UNPROCESSABLE_ENTITY)),
        ) {
            let (status, json) = send_json(&app, "PUT", "/kick_power", body).await;
            assert_eq!(status, expected, "{body}");
            assert!(
                json["error"].as_str().is_some_and(|e| !e.is_empty()),
                "{body}: {json}"
            );
        }
        assert_eq!(app.kick_power(), 27.0, "unchanged");
        let om = Scrape::of(&app).await;
        assert_eq!(om.value("accelerator_kick_power_changes_total"), 0.0);
        let series =
            r#"accelerator_http_requests_total{route="/kick_power",method="PUT",code="422"}"#;
        assert_eq!(om.value(series), unprocessable.len() as f64);
    }

    #[tokio::test]
    async fn oversized_bodies_get_413_json() {
        let app = app(27.0, 1.0);
        let body = format!(
            r#"{{"kick_power": 35, "pad": "{}"}}"#,
            "x".repeat(BODY_LIMIT)
        );
        let reply = send_json(&app, "PUT", "/kick_power", &body).await;
        assert_eq!(
            reply,
            (
                StatusCode::PAYLOAD_TOO_LARGE,
                json!({ "error": "payload too large" })
            )
        );
    }

    #[tokio::test]
    async fn stalled_uploads_time_out_with_408_json() {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};

        // Over loopback: a client announces a body and never sends it.
        let app = app(27.0, 1.0);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let router = router_with_timeout(app.clone(), Duration::from_millis(200));
        tokio::spawn(async move { axum::serve(listener, router).await });
        let mut client = tokio::net::TcpStream::connect(addr).await.unwrap();
        let head = "PUT /kick_power HTTP/1.1\r\nHost: x\r\nContent-Length: 20\r\n\r\n{";
        client.write_all(head.as_bytes()).await.unwrap();
        let mut reply = vec![0; 4096];
        let read = tokio::time::timeout(Duration::from_secs(5), client.read(&mut reply));
        let n = read.await.expect("answered within 5 s").unwrap();
        let reply = String::from_utf8_lossy(&reply[..n]).into_owned();
        assert!(reply.starts_with("HTTP/1.1 408 "), "{reply}");
        assert!(reply.ends_with(r#"{"error":"request timeout"}"#), "{reply}");
        let om = Scrape::of(&app).await;
        let series =
            r#"accelerator_http_requests_total{route="/kick_power",method="PUT",code="408"}"#;
        assert_eq!(om.value(series), 1.0);
    }

    #[tokio::test]
    async fn start_and_abort_answer_202_200_and_409() {
        let app = app(35.0, 1.0);
        let (status, json) = send_json(&app, "POST", "/abort", "").await;
        assert_eq!(
            (status, &json["error"]),
            (
                StatusCode::CONFLICT,
                &json!("no run is active (state stopped)")
            )
        );
        let reply = send_json(&app, "POST", "/start", "").await;
        assert_eq!(
            reply,
            (
                StatusCode::ACCEPTED,
                json!({ "run_id": 1, "state": "accelerating" })
            )
        );
        let (status, json) = send_json(&app, "POST", "/start", "").await;
        let busy = json!("a run is already active (state accelerating)");
        assert_eq!((status, &json["error"]), (StatusCode::CONFLICT, &busy));
        let reply = send_json(&app, "POST", "/abort", "").await;
        assert_eq!(
            reply,
            (
                StatusCode::OK,
                json!({ "state": "stopped", "outcome": "aborted" })
            )
        );
        let om = Scrape::of(&app).await;
        om.line(r#"accelerator_runs_total{outcome="aborted"} 1 # {run_id="1"} 1"#);
        let (status, json) = send_json(&app, "POST", "/start", "").await;
        assert_eq!(
            (status, json["run_id"].as_u64()),
            (StatusCode::ACCEPTED, Some(2))
        );
    }

    #[tokio::test]
    async fn wrong_method_and_unknown_path_get_json_errors() {
        let app = app(27.0, 1.0);
        let (status, headers, body) = send(&app, "DELETE", "/start", &[], "").await;
        assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(headers[ALLOW], "POST");
        assert_eq!(headers[CONTENT_TYPE], "application/json");
        let json: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(json, json!({ "error": "method not allowed" }));
        for (method, path) in [
            ("GET", "/abort"),
            ("POST", "/kick_power"),
            ("POST", "/state"),
        ] {
            // POST /state of the original is dropped: the server owns the simulation.
            let (status, _) = send_json(&app, method, path, "{}").await;
            assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED, "{method} {path}");
        }
        let reply = send_json(&app, "GET", "/nope", "").await;
        assert_eq!(
            reply,
            (
                StatusCode::NOT_FOUND,
                json!({ "error": "no such path: /nope" })
            )
        );

        let om = Scrape::of(&app).await;
        for (route, method, code) in [
            ("/start", "DELETE", 405),
            ("other", "GET", 404),
            ("/state", "POST", 405),
        ] {
            let series = format!(
                r#"accelerator_http_requests_total{{route="{route}",method="{method}",code="{code}"}}"#
            );
            assert_eq!(om.value(&series), 1.0, "{series}");
        }
    }

    #[tokio::test]
    async fn state_reports_every_field() {
        let app = app(30.0, 1.0);
        let (status, json) = send_json(&app, "GET", "/state", "").await;
        assert_eq!(status, StatusCode::OK);
        for key in [
            "state",
            "state_code",
            "run_id",
            "elapsed_seconds",
            "kick_power",
            "energy_ev",
            "gamma",
            "beta",
            "speed_m_s",
            "speed_deficit_m_s",
            "revolution_frequency_hz",
            "dipole_field_t",
            "magnet_load_ratio",
            "turns",
            "last_outcome",
            "target_energy_ev",
            "run_window_seconds",
        ] {
            assert!(json.get(key).is_some(), "missing {key} in {json}");
        }
        assert_eq!(
            (&json["state"], &json["state_code"]),
            (&json!("stopped"), &json!(0))
        );
        assert_eq!(json["speed_deficit_m_s"], json!(sim::C));
        assert_eq!(json["target_energy_ev"], json!(6.8e12));

        send(&app, "POST", "/start", &[], "").await;
        app.advance(Duration::from_millis(50));
        let (_, json) = send_json(&app, "GET", "/state", "").await;
        assert_eq!(json["state"], "accelerating");
        let expected = sim::Kinematics::from_energy(json["energy_ev"].as_f64().unwrap());
        assert_eq!(json["speed_deficit_m_s"], json!(expected.speed_deficit));
        assert!(
            (600.0..651.7).contains(&expected.speed_deficit),
            "one tick above injection"
        );
        assert!((json["magnet_load_ratio"].as_f64().unwrap() - 0.6).abs() < 1e-12);
        assert!(json["turns"].as_u64().unwrap() > 500);
    }

    #[tokio::test]
    async fn a_scaled_run_collides_and_records_its_ramp() {
        let app = app(35.0, 20.0);
        send(&app, "POST", "/start", &[], "").await;
        // 20 × 50 ms = 1 s of beam time per tick: the whole fill in 30 ticks.
        for _ in 0..30 {
            app.advance(Duration::from_millis(50));
        }
        let snap = app.snapshot();
        let done = (sim::State::Stopped, Some(sim::Outcome::Success));
        assert_eq!((snap.state, snap.last_outcome), done);
        assert!((snap.ramp_seconds.unwrap() - 25.21).abs() <= 0.05);
        let om = Scrape::of(&app).await;
        assert_eq!(om.value("accelerator_ramp_duration_seconds_count"), 1.0);
        assert!((om.value("accelerator_ramp_duration_seconds_sum") - 25.21).abs() <= 0.05);
        let bucket = om.line(r#"accelerator_ramp_duration_seconds_bucket{le="26.0"} 1 "#);
        assert!(bucket.contains(r#" # {run_id="1"} 25.2"#), "{bucket}");
        assert_eq!(
            om.value(r#"accelerator_runs_total{outcome="success"}"#),
            1.0
        );
        assert_eq!(om.value("accelerator_tick_duration_seconds_count"), 30.0);
        assert!(om.value("accelerator_kicks_total") > 280_000.0);
        assert!(om.value("accelerator_collisions_total") > 1.6e9 * 4.0);
        assert_eq!(
            om.value("accelerator_beam_energy_electronvolts"),
            0.0,
            "dumped"
        );
    }

    #[tokio::test]
    async fn quench_and_bunch_metrics_follow_the_beam() {
        let app = app(49.0, 1.0);
        send(&app, "POST", "/start", &[], "").await;
        app.advance(Duration::from_millis(50));
        let om = Scrape::of(&app).await;
        assert_eq!(
            om.value("accelerator_bunch_energy_deviation_ratio_gcount"),
            1000.0
        );
        assert_eq!(
            (om.state("accelerating"), om.value("accelerator_state_code")),
            (1.0, 1.0)
        );
        assert!((om.value("accelerator_magnet_load_ratio") - 0.98).abs() < 1e-12);

        send(&app, "PUT", "/kick_power", &[], r#"{"kick_power": 50}"#).await;
        app.advance(Duration::from_millis(50));
        let om = Scrape::of(&app).await;
        assert_eq!(
            (om.state("quenched"), om.value("accelerator_state_code")),
            (1.0, 3.0)
        );
        assert_eq!(om.value("accelerator_dipole_field_tesla"), 0.0);
        assert_eq!(
            om.value("accelerator_bunch_energy_deviation_ratio_gcount"),
            0.0
        );
        // Exactly back to zero: the deviations sit on an exact grid.
        assert_eq!(
            om.value("accelerator_bunch_energy_deviation_ratio_gsum"),
            0.0
        );
        om.line(r#"accelerator_runs_total{outcome="quenched"} 1 # {run_id="1"} 1"#);
    }

    #[test]
    fn route_labels_are_a_fixed_set() {
        let long = "/x".repeat(100);
        for (path, label) in [
            ("/", "/"),
            ("/static/app.js", "/static"),
            ("/static/../../etc/passwd", "/static"),
            ("/metrics", "/metrics"),
            ("/metrics/", "other"),
            ("/kick_power", "/kick_power"),
            (long.as_str(), "other"),
        ] {
            assert_eq!(route_label(path), label, "{path}");
            assert!(ROUTES.contains(&label));
        }
    }
}
