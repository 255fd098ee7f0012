"""Drives the web console in headless Chromium (see scripts/console-test).

Usage: console_test.py BASE_URL SCREENSHOT
"""

import json
import re
import sys
import urllib.error
import urllib.request

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

BASE, SCREENSHOT = sys.argv[1], sys.argv[2]
# The sum of the primes below 10^7 (OEIS A046731).
RANGE, SUM = ("0", "10000000"), "3203324994356"


def main():
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1000,1500"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    try:
        run(driver)
    finally:
        driver.quit()


def api_message(body):
    """The message of the API's own error answer to this submit."""
    request = urllib.request.Request(
        BASE + "/sumPrime", data=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
    try:
        urllib.request.urlopen(request, timeout=10)
    except urllib.error.HTTPError as error:
        return json.load(error)["error"]["message"]
    raise AssertionError(f"the API accepted {body}")


def text(driver, element_id):
    return driver.find_element(By.ID, element_id).text


def submit(driver, a, b):
    for field, value in (("a", a), ("b", b)):
        box = driver.find_element(By.ID, field)
        box.clear()
        box.send_keys(value)
    driver.find_element(By.CSS_SELECTOR, "#submit-form button").click()


def run(driver):
    wait = WebDriverWait(driver, 30, poll_frequency=0.1)
    driver.get(BASE + "/")
    wait.until(lambda d: text(d, "connection") == "live")
    wait.until(lambda d: text(d, "stat-replicas") == "1")

    submit(driver, *RANGE)
    wait.until(lambda d: text(d, "current-status") == "FINISHED")
    assert text(driver, "current-sum") == SUM, f"sum on the page: {text(driver, 'current-sum')}"
    progress = driver.find_element(By.ID, "current-progress").get_attribute("value")
    assert float(progress) == 1, f"progress bar at {progress}"
    assert "FINISHED" in text(driver, "jobs"), "the job is not in the list of recent jobs"
    # The replica that computed it (the worker's name without its number), and its trace.
    worker = text(driver, "current-worker")
    assert re.fullmatch(r".+-\d+", worker), f"computed by {worker!r}"
    trace = driver.find_element(By.CSS_SELECTOR, "#current-trace a")
    assert re.fullmatch(r"[0-9a-f]{32}", trace.text), f"trace {trace.text!r}"
    assert trace.get_attribute("href") == f"http://traces.example/trace/{trace.text}", trace.get_attribute("href")

    # A long job: its progress bar moves, and Cancel stops it.
    submit(driver, "1000000000000000", "1000030000000000")
    wait.until(lambda d: text(d, "current-status").startswith("IN_PROGRESS")
               and float(d.find_element(By.ID, "current-progress").get_attribute("value")) > 0)
    driver.find_element(By.ID, "cancel").click()
    wait.until(lambda d: text(d, "current-status") == "CANCELLED")
    assert not driver.find_element(By.ID, "cancel").is_displayed(), "Cancel is still offered"

    submit(driver, "10", "5")
    wait.until(lambda d: text(d, "submit-error") != "")
    shown, expected = text(driver, "submit-error"), api_message({"a": "10", "b": "5"})
    assert expected.startswith("b must be greater than a"), f"the API says {expected!r}"
    assert shown == expected, f"the page shows {shown!r}, the API says {expected!r}"

    # The charts show complete 10-second windows: the job's reaches them within 10 s and a
    # heartbeat.
    WebDriverWait(driver, 30, poll_frequency=0.2).until(lambda d: text(d, "latency-now") != "–")
    # Back to the finished job (the last row), for the picture.
    driver.find_elements(By.CSS_SELECTOR, "#jobs tbody tr")[-1].click()
    assert text(driver, "current-sum") == SUM
    driver.save_screenshot(SCREENSHOT)

    # On a phone's width nothing runs off the side.
    driver.set_window_size(390, 844)
    overflow = driver.execute_script("return document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the page is {overflow} px wider than a phone's screen"

    # Chromium logs every 4xx answer as an error of the network: the bad submit's 400 is the
    # one expected; any other entry (a script error, a failed load) fails the test.
    expected_400 = BASE + "/sumPrime - Failed to load resource: the server responded with a status of 400"
    errors = [
        e for e in driver.get_log("browser")
        if e["level"] == "SEVERE" and not (e["source"] == "network" and e["message"].startswith(expected_400))
    ]
    assert not errors, f"console errors: {errors}"
    origins = set()
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            url = message["params"]["request"]["url"]
            if not url.startswith("data:"):
                origins.add("/".join(url.split("/")[:3]))
    assert origins == {BASE}, f"requests to other origins: {origins - {BASE}}"
    print(f"console-test: ok: sum {SUM} shown, a running job cancelled, the API's message shown, "
          f"fits a phone, no console error, "
          f"requests only to {BASE}; screenshot {SCREENSHOT}")


if __name__ == "__main__":
    main()
