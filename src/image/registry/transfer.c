/* One HTTP exchange with a registry, and the retry loop around it.
 *
 * Robustness: connect timeout 10 s; a transfer slower than 1 KiB/s for
 * low_speed_time seconds is abandoned; connection errors, 408, 429 and 5xx are
 * retried with exponential backoff (bounded by max_retries); a refused connection
 * before the registry ever answered fails at once ("registry X is not reachable").
 * Downloads into a sink resume with a Range request after a broken transfer.
 * Redirects are followed only to http(s) (only https from https), and curl drops
 * our Authorization header when a redirect leaves the registry's host, so blob
 * storage on another host never sees a token. Response bodies kept in memory are
 * bounded (max_body; error bodies 64 KiB). */
#include "internal.h"
#include "../../base/util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define ERR_BODY_MAX      (64u << 10)
#define DEFAULT_BODY_MAX  (1u << 20)
#define CONNECT_TIMEOUT_S 10L
#define USER_AGENT        "hull/0.1 (OCI distribution client)"
#define SINK_BUF          (256L << 10) /* curl read size for blob downloads */

/* ---- one transfer ----------------------------------------------------------------------- */

struct xfer {
    CURL *h;
    const struct reg_req *req;
    struct reg_resp *resp;
    uint64_t sent; /* request body bytes handed to curl */
    long os_errno; /* errno of a failed connect */
    bool begun, sink_failed, too_big, aborted;
};

static char *dup_trim(const char *p, size_t n)
{
    while (n > 0 && (*p == ' ' || *p == '\t')) {
        p++;
        n--;
    }
    while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t' || p[n - 1] == '\r' || p[n - 1] == '\n'))
        n--;
    char *s = xmalloc0(n + 1);
    memcpy(s, p, n);
    return s;
}

static void set_header(char **slot, const char *v, size_t n)
{
    free(*slot);
    *slot = dup_trim(v, n);
}

static size_t on_header(char *buf, size_t size, size_t nitems, void *data)
{
    struct xfer *x = data;
    struct reg_resp *r = x->resp;
    size_t n = size * nitems;
    const char *colon;

    if (n >= 5 && strncmp(buf, "HTTP/", 5) == 0) {
        /* a new response (redirect, 100-continue, retry): keep only the last one's */
        reg_resp_clear(r);
        return n;
    }
    colon = memchr(buf, ':', n);
    if (colon == NULL)
        return n;
    size_t klen = (size_t)(colon - buf), vlen = n - klen - 1;
    const char *v = colon + 1;
#define IS(name) (klen == strlen(name) && strncasecmp(buf, name, klen) == 0)
    if (IS("content-type"))
        set_header(&r->content_type, v, vlen);
    else if (IS("location"))
        set_header(&r->location, v, vlen);
    else if (IS("docker-content-digest"))
        set_header(&r->digest, v, vlen);
    else if (IS("range"))
        set_header(&r->range, v, vlen);
    else if (IS("content-range"))
        set_header(&r->content_range, v, vlen);
    else if (IS("oci-subject"))
        set_header(&r->oci_subject, v, vlen);
    else if (IS("content-length")) {
        _cleanup_free_ char *s = dup_trim(v, vlen);
        unsigned long long len;
        if (hull_parse_u64(s, &len) == 0 && len <= INT64_MAX)
            r->content_length = (int64_t)len;
    } else if (IS("www-authenticate") && r->n_www_auth < 8) {
        r->www_auth = xrealloc(r->www_auth, (r->n_www_auth + 1) * sizeof(char *));
        r->www_auth[r->n_www_auth++] = dup_trim(v, vlen);
    }
#undef IS
    return n;
}

static size_t on_body(char *buf, size_t size, size_t nmemb, void *data)
{
    struct xfer *x = data;
    struct reg_resp *r = x->resp;
    size_t n = size * nmemb, max;
    long status = 0;

    if (x->req->abort && *x->req->abort) {
        x->aborted = true;
        return 0;
    }
    curl_easy_getinfo(x->h, CURLINFO_RESPONSE_CODE, &status);
    if (status >= 300 && status < 400)
        return n; /* a redirect's body */
    if (x->req->sink && status >= 200 && status < 300) {
        const struct reg_sink *s = x->req->sink;
        if (!x->begun) {
            x->begun = true;
            if (s->begin(s->data, status, r) < 0) {
                x->sink_failed = true;
                return 0;
            }
        }
        if (s->write(s->data, buf, n) < 0) {
            x->sink_failed = true;
            return 0;
        }
        return n;
    }
    max = (x->req->sink || status >= 300)
              ? ERR_BODY_MAX
              : (x->req->max_body ? x->req->max_body : DEFAULT_BODY_MAX);
    if (r->len + n > max) {
        if (status >= 300)
            return n; /* an error body only needs its start */
        x->too_big = true;
        return 0;
    }
    r->body = xrealloc(r->body, r->len + n + 1);
    memcpy(r->body + r->len, buf, n);
    r->len += n;
    r->body[r->len] = '\0';
    return n;
}

static size_t on_read(char *buf, size_t size, size_t nitems, void *data)
{
    struct xfer *x = data;
    const struct reg_req *q = x->req;
    size_t want = size * nitems, left = q->body_len - (size_t)x->sent;

    if (x->req->abort && *x->req->abort)
        return CURL_READFUNC_ABORT;
    if (want > left)
        want = left;
    if (want == 0)
        return 0;
    if (q->body_fd >= 0) {
        ssize_t got;
        do
            got = pread(q->body_fd, buf, want, (off_t)(q->body_off + x->sent));
        while (got < 0 && errno == EINTR);
        if (got <= 0)
            return CURL_READFUNC_ABORT;
        want = (size_t)got;
    } else {
        memcpy(buf, (const char *)q->body + x->sent, want);
    }
    x->sent += want;
    return want;
}

static int on_seek(void *data, curl_off_t off, int origin)
{
    struct xfer *x = data;
    if (origin != SEEK_SET || off < 0 || (uint64_t)off > x->req->body_len)
        return CURL_SEEKFUNC_CANTSEEK;
    x->sent = (uint64_t)off;
    return CURL_SEEKFUNC_OK;
}

static char *absolute_url(struct reg_client *c, const char *url)
{
    return url[0] == '/' ? xasprintf("%s%s", c->base, url) : xstrdup(url);
}

/* Perform the request once. Returns the curl code; errbuf gets curl's detail. */
static CURLcode perform_once(struct reg_client *c, const struct reg_req *q, struct reg_resp *r,
                             const char *auth, uint64_t range_from, struct xfer *x,
                             char errbuf[CURL_ERROR_SIZE])
{
    _cleanup_free_ char *url = absolute_url(c, q->url), *hdr_auth = NULL, *hdr_accept = NULL,
                        *hdr_ct = NULL, *hdr_cr = NULL, *hdr_range = NULL;
    struct curl_slist *hdrs = NULL;
    bool https = hull_str_has_prefix(url, "https://");
    CURLcode rc;
    CURL *h = curl_easy_init();

    if (h == NULL)
        return CURLE_OUT_OF_MEMORY;
    memset(x, 0, sizeof(*x));
    x->h = h;
    x->req = q;
    x->resp = r;
    errbuf[0] = '\0';
    reg_resp_clear(r);

    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_USERAGENT, USER_AGENT);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, https ? "https" : "http,https");
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(h, CURLOPT_MAXREDIRS, 5L);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, CONNECT_TIMEOUT_S);
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1024L);
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, c->low_speed_time);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, c->verify ? 1L : 0L);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, c->verify ? 2L : 0L);
    curl_easy_setopt(h, CURLOPT_CA_CACHE_TIMEOUT, 0L); /* our CAs are added per context */
    if (c->ca_files) {
        curl_easy_setopt(h, CURLOPT_SSL_CTX_FUNCTION, reg_ssl_ctx_cb);
        curl_easy_setopt(h, CURLOPT_SSL_CTX_DATA, c);
    }
    if (c->client_cert) {
        curl_easy_setopt(h, CURLOPT_SSLCERT, c->client_cert);
        curl_easy_setopt(h, CURLOPT_SSLKEY, c->client_key);
    }
    if (c->share)
        curl_easy_setopt(h, CURLOPT_SHARE, c->share);
    if (q->fresh_connection)
        curl_easy_setopt(h, CURLOPT_FRESH_CONNECT, 1L);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, x);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, x);
    /* blobs: larger reads, 16x fewer recv/write calls than curl's 16 KiB default */
    if (q->sink)
        curl_easy_setopt(h, CURLOPT_BUFFERSIZE, SINK_BUF);

    hdrs = curl_slist_append(hdrs, "Expect:");
    if (auth) {
        hdr_auth = xasprintf("Authorization: %s", auth);
        hdrs = curl_slist_append(hdrs, hdr_auth);
    }
    if (q->accept) {
        hdr_accept = xasprintf("Accept: %s", q->accept);
        hdrs = curl_slist_append(hdrs, hdr_accept);
    }
    if (q->content_type) {
        hdr_ct = xasprintf("Content-Type: %s", q->content_type);
        hdrs = curl_slist_append(hdrs, hdr_ct);
    }
    if (q->content_range) {
        hdr_cr = xasprintf("Content-Range: %s", q->content_range);
        hdrs = curl_slist_append(hdrs, hdr_cr);
    }
    if (range_from > 0) {
        hdr_range = xasprintf("Range: bytes=%llu-", (unsigned long long)range_from);
        hdrs = curl_slist_append(hdrs, hdr_range);
    }
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);

    if (strcmp(q->method, "HEAD") == 0) {
        curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
    } else if (strcmp(q->method, "POST") == 0) {
        curl_easy_setopt(h, CURLOPT_POST, 1L);
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)q->body_len);
        curl_easy_setopt(h, CURLOPT_READFUNCTION, on_read);
        curl_easy_setopt(h, CURLOPT_READDATA, x);
    } else if (strcmp(q->method, "PUT") == 0 || strcmp(q->method, "PATCH") == 0) {
        curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
        curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)q->body_len);
        curl_easy_setopt(h, CURLOPT_READFUNCTION, on_read);
        curl_easy_setopt(h, CURLOPT_READDATA, x);
        if (strcmp(q->method, "PATCH") == 0)
            curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, "PATCH");
    } else if (strcmp(q->method, "GET") != 0) {
        curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, q->method);
    }
    curl_easy_setopt(h, CURLOPT_SEEKFUNCTION, on_seek);
    curl_easy_setopt(h, CURLOPT_SEEKDATA, x);

    rc = curl_easy_perform(h);
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r->status);
    curl_easy_getinfo(h, CURLINFO_OS_ERRNO, &x->os_errno);
    curl_easy_cleanup(h);
    curl_slist_free_all(hdrs);
    return rc;
}

static bool retryable_curl(CURLcode rc)
{
    switch (rc) {
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_GOT_NOTHING:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_PARTIAL_FILE:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
        return true;
    default:
        return false;
    }
}

static bool retryable_status(long s)
{
    return s == 408 || s == 429 || s == 500 || s == 502 || s == 503 || s == 504;
}

static void backoff(int attempt)
{
    /* 250 ms, 500 ms, 1 s, 2 s ... capped at 8 s */
    long ms = 250L << (attempt < 5 ? attempt : 5);
    struct timespec ts;
    if (ms > 8000)
        ms = 8000;
    ts.tv_sec = ms / 1000;
    ts.tv_nsec = (ms % 1000) * 1000000L;
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

/* A transport failure as an error naming the registry. */
static int curl_error(struct reg_client *c, const struct reg_req *q, CURLcode rc,
                      const char *errbuf, long os_errno, hull_error *err)
{
    const char *detail = errbuf[0] ? errbuf : curl_easy_strerror(rc);
    const char *what = q->what ? q->what : q->url;
    const char *certs = reg_certs_root(c->opts);

    switch (rc) {
    case CURLE_COULDNT_RESOLVE_HOST:
        return hull_error_msg(err, EHOSTUNREACH, "registry %s: cannot resolve the host name: %s",
                              c->domain, detail);
    case CURLE_COULDNT_CONNECT:
        if (os_errno > 0)
            return hull_error_msg(err, (int)os_errno, "registry %s is not reachable: %s", c->domain,
                                  strerror((int)os_errno));
        return hull_error_msg(err, ECONNREFUSED, "registry %s is not reachable: %s", c->domain,
                              detail);
    case CURLE_OPERATION_TIMEDOUT:
        return hull_error_msg(err, ETIMEDOUT, "registry %s: %s: timed out: %s", c->domain, what,
                              detail);
    case CURLE_PEER_FAILED_VERIFICATION:
        return hull_error_msg(err, EPERM,
                              "registry %s: TLS certificate verification failed: %s (put its CA "
                              "in %s/%s/ca.crt, or use --tls-verify=false)",
                              c->domain, detail, certs, c->domain);
    case CURLE_SSL_CONNECT_ERROR:
        return hull_error_msg(err, EPROTO, "registry %s: TLS handshake failed: %s", c->domain,
                              detail);
    case CURLE_SSL_CERTPROBLEM:
        return hull_error_msg(err, EINVAL, "registry %s: client certificate %s: %s", c->domain,
                              c->client_cert ? c->client_cert : "", detail);
    case CURLE_TOO_MANY_REDIRECTS:
    case CURLE_UNSUPPORTED_PROTOCOL:
        return hull_error_msg(err, EPROTO, "registry %s: %s: bad redirect: %s", c->domain, what,
                              detail);
    default:
        return hull_error_msg(err, EIO, "registry %s: %s: %s", c->domain, what, detail);
    }
}

int reg_transfer(struct reg_client *c, const struct reg_req *q, struct reg_resp *r,
                 const char *auth, CURLcode *last_rc, hull_error *err)
{
    char errbuf[CURL_ERROR_SIZE];
    struct xfer x;

    for (int attempt = 0;; attempt++) {
        uint64_t from = q->sink ? q->sink->offset(q->sink->data) : 0;
        CURLcode rc = perform_once(c, q, r, auth, from, &x, errbuf);
        bool last = attempt >= c->max_retries || q->no_retry;

        if (c->debug) /* method, URL and status only: never headers (credentials) */
            reg_notice(c->opts, "registry: %s %s%s -> %ld%s%s", q->method,
                       q->url[0] == '/' ? c->base : "", q->url, r->status, rc ? ": " : "",
                       rc ? curl_easy_strerror(rc) : "");
        if (last_rc)
            *last_rc = rc;
        if (x.aborted)
            return hull_error_msg(err, ECANCELED, "%s: cancelled", q->what ? q->what : q->url);
        if (x.sink_failed) /* the sink set its error in err already; this is a fallback */
            return hull_error_msg(err, EIO, "%s: write failed", q->what ? q->what : q->url);
        if (x.too_big)
            return hull_error_msg(err, EFBIG, "registry %s: %s: response larger than %zu bytes",
                                  c->domain, q->what ? q->what : q->url,
                                  q->max_body ? q->max_body : (size_t)DEFAULT_BODY_MAX);
        if (rc != CURLE_OK && r->status >= 400 && r->status < 500 && !retryable_status(r->status))
            rc = CURLE_OK; /* the answer came (a 416 ending in an HTTP/2 stream error) */
        if (rc != CURLE_OK) {
            /* A refused connection before the registry ever answered means it is
             * down: say so now rather than after a round of backoff. */
            bool refused_first = rc == CURLE_COULDNT_CONNECT && !c->pinged;
            if (!last && retryable_curl(rc) && !refused_first) {
                backoff(attempt);
                continue;
            }
            return curl_error(c, q, rc, errbuf, x.os_errno, err);
        }
        if (!last && retryable_status(r->status)) {
            backoff(attempt);
            continue;
        }
        return 0;
    }
}

int reg_do_raw(struct reg_client *c, const struct reg_req *q, struct reg_resp *r, const char *auth,
               hull_error *err)
{
    return reg_transfer(c, q, r, auth, NULL, err);
}
