"""One local Spark session for every Spark test in this folder (starting one costs seconds)."""

import pytest


@pytest.fixture(scope="session")
def spark():
    from pyspark.sql import SparkSession  # ImportError -> the test fails, as it must

    session = (
        SparkSession.builder.master("local[1]")
        .appName("pathcredit-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.default.parallelism", "1")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.driver.memory", "1g")
        .getOrCreate()
    )
    yield session
    session.stop()
