"""The Airflow UI driven as an operator drives it, in headless Chromium (Debian's package) through
Playwright: sign in, the trigger form of ``newspipe_daily``, the backfill dialog. Screenshots of
each step go to ``shots``."""
from __future__ import annotations

import shutil
from contextlib import contextmanager
from pathlib import Path

PARAMS = ("Outlets", "Window start (UTC)", "Window end (UTC, excluded)", "Re-extract stored raw pages, fetch nothing",
          "Validate and plan only", "Obey crawl delays and AutoThrottle", "Fetch pages again that earlier runs stored",
          "Replace unreadable partitions")


def chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


@contextmanager
def signed_in(base: str, password: str, shots: Path):
    """A page signed in to the Airflow UI at ``base`` as admin."""
    from playwright.sync_api import sync_playwright
    shots.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium(), args=["--no-sandbox", "--disable-gpu"])
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.set_default_timeout(120_000)  # a busy 2-core machine serves the UI slowly
            page.goto(base + "/")
            page.get_by_label("Username").fill("admin")
            page.get_by_label("Password").fill(password)
            page.screenshot(path=shots / "01-sign-in.png")
            page.get_by_role("button", name="Sign in").click()
            page.wait_for_url(lambda u: "/auth/login" not in u)
            yield page
        finally:
            browser.close()


def open_trigger_form(page, base: str, dag_id: str):
    """The trigger dialog of ``dag_id``, its run parameters shown; the dialog."""
    page.goto(f"{base}/dags/{dag_id}")
    page.get_by_role("button", name="Trigger").first.click()
    dialog = page.get_by_role("dialog").first
    dialog.get_by_text("Run Parameters").wait_for()
    return dialog


def param_help(dialog) -> dict[str, str]:
    """Each run parameter's label and the help text shown under it."""
    return dialog.locator("[data-scope=field][data-part=root]").evaluate_all("""els => Object.fromEntries(els.map(e => [
        (e.querySelector('[data-part=label]')?.innerText || '').replace('*', '').trim(),
        (e.querySelector('[data-part=helper-text]')?.innerText || '').trim()]))""")


def pick_outlets(page, dialog, names: list[str]) -> None:
    """Choose outlets in the form's multi-select (typed, then chosen from its list)."""
    box = dialog.locator("[data-part=root]", has_text="Outlets").locator("input[type=text]").first
    for name in names:
        box.click()
        box.fill(name)
        page.get_by_role("option", name=name, exact=True).click()


def set_datetime(page, dialog, index: int, date: str, time: str = "00:00") -> None:
    """Fill the ``index``-th date-time picker of the dialog (``date`` as YYYY/MM/DD, UTC)."""
    dialog.get_by_test_id("datetime-input").nth(index).click()
    popover = page.locator("[data-scope=popover][data-part=content]:visible").last
    popover.get_by_placeholder("YYYY/MM/DD").fill(date)
    popover.get_by_placeholder("HH:mm").fill(time)
    page.keyboard.press("Escape")


def set_switch(dialog, label: str, on: bool) -> None:
    """Set a boolean run parameter (shown as a switch) by its title."""
    field = dialog.locator("[data-scope=field][data-part=root]", has_text=label)
    box = field.locator("input[type=checkbox]")
    if box.is_checked() != on:
        field.locator("[data-part=control]").click()


def create_backfill(page, base: str, dag_id: str, start: str, end: str, max_active_runs: int, shots: Path) -> None:
    """A backfill of ``start`` .. ``end`` (YYYY/MM/DD, logical dates) from the trigger dialog, every run
    reprocessed, the DAG left paused (it is unpaused separately)."""
    dialog = open_trigger_form(page, base, dag_id)
    dialog.get_by_text("Backfill", exact=True).click()
    dialog.get_by_text("Date Range").wait_for()
    set_datetime(page, dialog, 0, start)
    set_datetime(page, dialog, 1, end)
    dialog.get_by_text("All Runs", exact=True).click()
    dialog.locator("input[name=max_active_runs]").fill(str(max_active_runs))
    unpause = dialog.locator("label", has_text=f"Unpause {dag_id} on trigger").locator("input[type=checkbox]")
    if unpause.is_checked():
        dialog.locator("label", has_text=f"Unpause {dag_id} on trigger").click()
    page.screenshot(path=shots / "04-backfill-dialog.png", full_page=True)
    dialog.get_by_role("button", name="Run Backfill").click()
    dialog.wait_for(state="hidden")
    page.screenshot(path=shots / "05-backfill-created.png")
