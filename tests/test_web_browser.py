"""The pages in a real browser: Debian's headless Chromium driven by Selenium, against the
server running on 127.0.0.1. Nothing is downloaded: the system chromium and chromedriver
are named explicitly, so Selenium Manager never runs.

Screenshots go to <pytest tmp>/web-screenshots/ for a person to look at (the path is printed).
"""

import threading
import time
from pathlib import Path

import pytest

from tests.web_helpers import HOSTILE_TITLE, sample_web_archive

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")

pytestmark = pytest.mark.skipif(
    not (CHROMIUM.exists() and CHROMEDRIVER.exists()),
    reason="needs Debian's chromium and chromium-driver (apt-get install chromium chromium-driver)",
)

webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is in the test extra")
from selenium.common.exceptions import NoAlertPresentException  # noqa: E402
from selenium.webdriver.chrome.options import Options  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.webdriver.support import expected_conditions as EC  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402


@pytest.fixture(scope="module")
def server(tmp_path_factory, embedding_models):
    """The app under uvicorn on a free 127.0.0.1 port, in a thread; yields its base URL."""
    import uvicorn

    from unionkb.web import bind, create_app

    app = create_app(sample_web_archive(tmp_path_factory), warm=True)
    sock = bind("127.0.0.1", 0)
    srv = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False))
    thread = threading.Thread(target=srv.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not srv.started:
        assert time.monotonic() < deadline, "server did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    srv.should_exit = True
    thread.join(timeout=10)
    sock.close()


@pytest.fixture(scope="module")
def shots(tmp_path_factory):
    d = tmp_path_factory.getbasetemp() / "web-screenshots"
    d.mkdir(exist_ok=True)
    print(f"\nscreenshots: {d}")
    return d


@pytest.fixture(scope="module")
def downloads(tmp_path_factory):
    return tmp_path_factory.mktemp("downloads")


@pytest.fixture(scope="module")
def browser(tmp_path_factory, downloads):
    opts = Options()
    opts.binary_location = str(CHROMIUM)
    profile = tmp_path_factory.mktemp("chromium-profile")
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--disable-dev-shm-usage",
        f"--user-data-dir={profile}",
        "--window-size=1280,900",
        "--lang=zh-CN",
    ):
        opts.add_argument(flag)
    opts.add_experimental_option(
        "prefs", {"download.default_directory": str(downloads), "download.prompt_for_download": False}
    )
    driver = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=opts)
    driver.set_page_load_timeout(60)
    driver.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)})
    yield driver
    driver.quit()


def wait(driver, css: str, timeout: float = 30):
    return WebDriverWait(driver, timeout).until(EC.presence_of_element_located((By.CSS_SELECTOR, css)))


def full_page_shot(driver, path: Path, width: int = 1280) -> None:
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(width, min(max(height + 120, 600), 3000))
    driver.save_screenshot(str(path))
    driver.set_window_size(1280, 900)


def no_alert(driver) -> bool:
    try:
        alert = driver.switch_to.alert
    except NoAlertPresentException:
        return True
    return alert is None


def test_a_person_searches_reads_finds_precedents_asks_who_and_exports(server, browser, shots, downloads):
    d = browser
    # 1. type a question, see results
    d.get(server + "/")
    box = wait(d, "input[name=q]")
    box.send_keys("马背送学", Keys.ENTER)
    first = wait(d, "li.hit a.title")
    titles = [a.text for a in d.find_elements(By.CSS_SELECTOR, "li.hit a.title")]
    assert any("县级工会" in t for t in titles), titles
    assert d.find_elements(By.CSS_SELECTOR, "li.hit .snippet mark"), "matched words are highlighted"
    assert "甘肃省" in d.find_element(By.CSS_SELECTOR, "aside.facets").text
    full_page_shot(d, shots / "01-search.png")

    # 2. open an article: entities are highlighted and linked
    first_title = first.text
    first.click()
    wait(d, "article.article h1")
    assert d.find_element(By.CSS_SELECTOR, "article.article h1").text == first_title
    region_links = d.find_elements(By.CSS_SELECTOR, "article a.ent-region")
    assert any(a.get_attribute("href").endswith("/regions/620923") for a in region_links)
    assert d.find_elements(By.CSS_SELECTOR, "article a.ent-program")
    full_page_shot(d, shots / "02-article.png")

    # 3. open its similar stories
    d.find_element(By.CSS_SELECTOR, "a.more").click()
    wait(d, "li.hit")
    assert len(d.find_elements(By.CSS_SELECTOR, "li.hit")) == 10
    assert d.find_elements(By.CSS_SELECTOR, "li.hit .shared .tag, li.hit .shared .ent")
    full_page_shot(d, shots / "03-similar.png")

    # 4. ask a who question
    d.find_element(By.LINK_TEXT, "谁做了什么").click()
    box = wait(d, "input[name=q]")
    box.send_keys("哪个县推出了马背送学？", Keys.ENTER)
    region = wait(d, "li.answer a.region")
    assert region.text == "肃北蒙古族自治县"
    assert "甘肃省 › 酒泉市 ›" in d.find_element(By.CSS_SELECTOR, "li.answer .where").text
    assert d.find_elements(By.CSS_SELECTOR, "li.answer blockquote .ent-hit")
    full_page_shot(d, shots / "04-who.png")
    d.find_element(By.CSS_SELECTOR, "li.answer .source a").click()
    evidence = wait(d, "mark#evidence")
    assert evidence.text

    # 5. export the result list as CSV
    d.get(server + "/search?q=送温暖&mode=keyword")
    wait(d, "li.hit")
    d.find_element(By.LINK_TEXT, "CSV").click()
    deadline = time.monotonic() + 30
    while not list(downloads.glob("*.csv")):
        assert time.monotonic() < deadline, "no CSV downloaded"
        time.sleep(0.1)
    text = next(downloads.glob("*.csv")).read_text(encoding="utf-8-sig")
    assert text.startswith("id,title,date") and "肃北县总工会开展冬季送温暖活动" in text
    assert no_alert(d)


def test_region_box_suggests_places_with_their_parents(server, browser, shots):
    d = browser
    d.get(server + "/search?q=送温暖")
    d.find_element(By.CSS_SELECTOR, "details.filters summary").click()
    box = d.find_element(By.CSS_SELECTOR, "input[name=region]")
    box.send_keys("肃北")
    item = wait(d, "ul.suggest li")
    assert "肃北蒙古族自治县" in item.text and "甘肃省 › 酒泉市" in item.text
    d.save_screenshot(str(shots / "05-region-suggest.png"))
    item.click()
    assert box.get_attribute("value") == "肃北蒙古族自治县"
    box.send_keys(Keys.ENTER)
    wait(d, "li.hit")
    assert "肃北蒙古族自治县" in d.find_element(By.CSS_SELECTOR, ".summary").text
    titles = [a.text for a in d.find_elements(By.CSS_SELECTOR, "li.hit a.title")]
    assert "武汉市总工会慰问抗疫一线职工" not in titles and "肃北县总工会开展冬季送温暖活动" in titles


def test_hostile_title_shows_as_text_and_runs_nothing(server, browser):
    d = browser
    d.get(server + "/search?q=职工书屋")
    wait(d, "li.hit")
    titles = [a.text for a in d.find_elements(By.CSS_SELECTOR, "li.hit a.title")]
    assert HOSTILE_TITLE in titles
    assert no_alert(d)
    d.find_element(By.LINK_TEXT, HOSTILE_TITLE).click()
    wait(d, "article.article h1")
    assert d.find_element(By.CSS_SELECTOR, "article.article h1").text == HOSTILE_TITLE
    assert no_alert(d)
    assert not d.find_elements(By.CSS_SELECTOR, "article img")  # the <img onerror> in the body stayed text


def test_pages_fit_a_phone_screen(server, browser, shots):
    d = browser
    d.set_window_size(390, 844)
    try:
        for name, path in (
            ("search", "/search?q=送温暖"),
            ("who", "/who?q=哪个县推出了马背送学？"),
            ("region", "/regions/62"),
        ):
            d.get(server + path)
            wait(d, "main")
            overflow = d.execute_script("return document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 0, f"{name} page scrolls sideways by {overflow}px on a phone"
            d.save_screenshot(str(shots / f"06-phone-{name}.png"))
    finally:
        d.set_window_size(1280, 900)


def test_screenshots_were_saved(shots):
    names = {p.name for p in shots.glob("*.png")}
    assert {"01-search.png", "02-article.png", "03-similar.png", "04-who.png"} <= names
    assert all(p.stat().st_size > 10_000 for p in shots.glob("*.png"))
