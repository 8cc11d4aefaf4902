"""Scrapy settings for the unionkb e-paper crawler: every default lives here.

Scrapy loads this module as the project settings (SCRAPY_SETTINGS_MODULE=crawler.settings);
crawler.run.crawl() starts from it too and layers the caller's overrides on top.
"""

from __future__ import annotations

from crawler import urls as _epaper_urls

BOT_NAME = "unionkb"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"

# ---------------------------------------------------------------- sites (mirrors override)
# One spider per e-paper system; the site's base URL is a setting so a mirror or the test
# server can stand in for it (crawl(..., base_url=...) / --base-url sets all of a system's).
GRRB_BASE_URL = "https://www.workercn.cn"  # {base}/papers/grrb/YYYY/MM/DD/NN/page.html
GRRB_API_URL = "http://i.workercn.cn"  # {api}/paper/grrb/index.json, …/YYYY/MM/DD.json
GRRB_SOURCE = _epaper_urls.PAPER_NAMES["grrb"]
GRRB_LEGACY_BASE_URL = "http://media.workercn.cn"  # {base}/sites/media/{paper}/YYYY_MM/DD/GR0100.htm
GRRB_LEGACY_PAPER = "grrb"  # the legacy host also carries other union papers (jlgrb, lnzgb, …)
GRRB_LEGACY_SOURCES = dict(_epaper_urls.PAPER_NAMES)  # paper code → outlet name; unknown codes keep the code
GRRB_HOSTS = ["www.workercn.cn", "workercn.cn"]  # links to these are the paper's own
GRRB_LEGACY_HOSTS = ["media.workercn.cn"]
# Founder-system papers are presets (crawler.presets: ldwb, zjgrrb, sxgrb), chosen with
# crawl(..., paper=...) / --paper; FOUNDER_PAPER is the default.
FOUNDER_PAPER = "ldwb"

# ---------------------------------------------------------------- politeness
USER_AGENT = "unionkb/0.1 (+https://example.org/unionkb; research archive of trade-union newspapers)"
ROBOTSTXT_OBEY = True
ROBOTSTXT_USER_AGENT = "unionkb"
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 2.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
DOWNLOAD_DELAY = 1.0  # AutoThrottle never goes below this
CONCURRENT_REQUESTS = 4  # a system spans at most two hosts (grrb: site + JSON index)
CONCURRENT_REQUESTS_PER_DOMAIN = 2
# With a shared Redis queue each worker takes up to CONCURRENT_REQUESTS requests off the
# queue at once; keeping it small leaves work for the other workers.
DOWNLOAD_TIMEOUT = 30  # seconds for the whole response, body included: a slow drip is cut here
COOKIES_ENABLED = False

# ---------------------------------------------------------------- what a site may send
# E-paper article and layout pages are tens of kilobytes (day indexes less), so a response
# over 2 MiB is not a page of ours: it is cut off while it downloads, and a compressed one
# is cut off when its inflated size passes the same 2 MiB (Scrapy applies DOWNLOAD_MAXSIZE
# to both). This bounds what one response can cost at a few copies of 2 MiB, so with at
# most 16 requests in flight a crawl stays far under 1 GB whatever the site sends.
DOWNLOAD_MAXSIZE = 2 * 1024 * 1024
DOWNLOAD_WARNSIZE = 512 * 1024
REDIRECT_MAX_TIMES = 5  # redirects to another host are never followed (crawler.middlewares)
# Requests per issue day (day index, layout pages, articles). A real issue needs at most a
# few hundred (20 pages × ~15 articles); a site that keeps producing new links cannot
# hold the crawl beyond this.
CRAWL_DAY_BUDGET = 600
# Before a crawl starts each site host is connected to once; an unreachable one ends the
# crawl at once with one line (crawler.run.SiteUnreachable).
REACHABILITY_TIMEOUT = 10

# ---------------------------------------------------------------- retries with back-off
RETRY_ENABLED = True
RETRY_TIMES = 3  # 1 request + 3 retries
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]
RETRY_BACKOFF_BASE = 2.0  # seconds before the 1st retry; doubles per retry (crawler.middlewares)
RETRY_BACKOFF_MAX = 60.0
RETRY_AFTER_MAX = 300.0  # a 429/503 Retry-After up to this is waited for; a longer one gives the page up
# 404 and other non-2xx end in the spiders' errback: logged, counted, skipped.

# ---------------------------------------------------------------- engine
# Scrapy's own asyncio mode (no Twisted reactor): crawl() runs the engine inside
# asyncio.run(), so a process can crawl more than once (tests, the CLI, re-runs).
TWISTED_REACTOR_ENABLED = False
DOWNLOADER_MIDDLEWARES = {
    # Retry-After aware retries in place of Scrapy's RetryMiddleware (same position).
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "crawler.middlewares.RetryAfterMiddleware": 550,
    "crawler.middlewares.RetryBackoffMiddleware": 560,  # waits before a retry goes out
    # Sees responses before RedirectMiddleware (600): refuses redirects to another host.
    "crawler.middlewares.OffsiteRedirectMiddleware": 610,
    # Scrapy's own lets requests that wait for robots.txt through unchecked (see the class).
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    "crawler.middlewares.RobotsTxtMiddleware": 100,
}
ITEM_PIPELINES = {"crawler.delivery.CallbackDelivery": 100}
EXTENSIONS = {"crawler.distributed.SharedQueueWorker": 500}  # inert unless the Redis scheduler is on
LOG_LEVEL = "INFO"
TELNETCONSOLE_ENABLED = False
FEED_EXPORT_ENCODING = "utf-8"

# ---------------------------------------------------------------- distributed (scrapy-redis)
# Applied only when a Redis URL is given (crawl(redis_url=...) / --redis URL). Keys carry
# the system and date range, so processes crawling the same range share one queue and one
# duplicate filter; they persist (several processes finish at different times) and expire.
REDIS_SCHEDULER = "scrapy_redis.scheduler.Scheduler"
REDIS_DUPEFILTER_CLASS = "scrapy_redis.dupefilter.RFPDupeFilter"
REDIS_KEY_PREFIX = "unionkb"
REDIS_KEYS_TTL = 24 * 3600  # seconds the shared queue/dupefilter outlive the last process
REDIS_IDLE_POLL = 1.0  # seconds between looks at the shared queue while other workers are busy
REDIS_WORKER_TTL = 60  # a worker silent this long counts as gone (crashed)

# ---------------------------------------------------------------- local test server
# Overrides for a mirror you own or the fixture server: no throttling, no waiting.
LOCAL_SERVER_OVERRIDES = {
    "AUTOTHROTTLE_ENABLED": False,
    "DOWNLOAD_DELAY": 0,
    "CONCURRENT_REQUESTS": 16,
    "CONCURRENT_REQUESTS_PER_DOMAIN": 8,
    "RETRY_BACKOFF_BASE": 0.05,
    "DOWNLOAD_TIMEOUT": 10,
    "REACHABILITY_TIMEOUT": 3,
    "REDIS_IDLE_POLL": 0.1,
    "LOG_LEVEL": "WARNING",
}
