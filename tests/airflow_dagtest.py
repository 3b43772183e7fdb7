"""Run ``dag.test()`` of a DAG (``NEWSPIPE_DAG_ID``, default the daily one) in a fresh process
with its own AIRFLOW_HOME.

Usage: python tests/airflow_dagtest.py AIRFLOW_HOME LOGICAL_DATE CONF_JSON
Prints one JSON line: the run state and every task instance's state.
The caller sets NEWSPIPE_SOURCES and NEWSPIPE_DATA.
"""
from __future__ import annotations

import json
import os
import sys
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    home, logical, conf = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
    os.environ.update({"AIRFLOW_HOME": home, "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
                       "AIRFLOW__CORE__DAGS_FOLDER": str(ROOT / "dags"), "AIRFLOW__LOGGING__LOGGING_LEVEL": "WARNING"})
    sys.path.insert(0, str(ROOT))
    from airflow.dag_processing.dagbag import DagBag
    from airflow.utils import db

    if not (Path(home) / "airflow.db").exists():
        db.initdb()
    bag = DagBag(dag_folder=str(ROOT / "dags"))
    assert not bag.import_errors, bag.import_errors
    dag = bag.get_dag(os.environ.get("NEWSPIPE_DAG_ID", "newspipe_daily"))
    from airflow.exceptions import ParamValidationError
    try:
        run = dag.test(logical_date=datetime.fromisoformat(logical).replace(tzinfo=timezone.utc), run_conf=conf)
    except ParamValidationError as exc:  # the trigger form's own check: no run is created
        print("RESULT " + json.dumps({"state": "refused", "error": str(exc), "tasks": {}}))
        return
    tasks = {f"{ti.task_id}[{ti.map_index}]" if ti.map_index >= 0 else ti.task_id: str(ti.state)
             for ti in run.get_task_instances()}
    print("RESULT " + json.dumps({"state": str(run.state), "tasks": tasks,
                                  "interval": [str(run.data_interval_start), str(run.data_interval_end)]}))


if __name__ == "__main__":
    main()
