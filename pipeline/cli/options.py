"""Options shared by the command line's commands."""
from __future__ import annotations

import argparse
from datetime import datetime

from crawlers.dates import as_utc


def date_arg(value: str) -> datetime:
    try:
        return as_utc(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not an ISO 8601 date (YYYY-MM-DD) in range") from None



def day_arg(value: str) -> str:
    try:
        return as_utc(value).date().isoformat()
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a day (YYYY-MM-DD) in range") from None



def positive_arg(value: str) -> int:
    if not value.isdigit() or int(value) < 1:
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number of at least 1")
    return int(value)



def data_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--data", default=None, help="the data root: a directory or a filesystem URI (s3://bucket/prefix); "
                                                 "default $NEWSPIPE_DATA, else ./data of the project")
