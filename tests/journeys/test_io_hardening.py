"""read_paths on awkward inputs (issue 9): every bad input is one InputError naming the source,
column, 0-based data row and value, and the CLI prints it as one line with exit status 2.
Expected values are worked out by hand from the inputs written in each test."""

import gzip

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

import pathcredit as pc
from pathcredit import InputError
from pathcredit.cli import main

HEADER = "path,total_conversions,total_conversion_value,total_null\n"


def write(tmp_path, text, name="paths.csv"):
    f = tmp_path / name
    f.write_bytes(text if isinstance(text, bytes) else text.encode())
    return f


def one_line_cli_error(*args):
    res = CliRunner().invoke(main, [str(a) for a in args])
    assert res.exit_code == 2, res.output
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in res.stderr, res.stderr
    return lines[0]


# ---------------------------------------------------------------- no data rows
def test_header_only_csv_parquet_and_empty_frame_are_no_paths(tmp_path):
    csv = write(tmp_path, HEADER)
    empty = pd.DataFrame({"path": pd.Series([], dtype=str), "total_conversions": []})
    parquet = tmp_path / "empty.parquet"
    empty.to_parquet(parquet)
    for source, name in [(csv, str(csv)), (parquet, str(parquet)), (empty, "DataFrame")]:
        with pytest.raises(InputError, match="no paths") as info:
            pc.read_paths(source)
        assert info.value.source == name


@pytest.mark.parametrize("command", ["attribute", "report"])
def test_cli_header_only_is_one_line_exit_2(tmp_path, command):
    csv = write(tmp_path, HEADER)
    assert "no paths" in one_line_cli_error(command, csv)


# ---------------------------------------------------------------- duplicated columns
def test_duplicate_column_names_in_a_frame_are_refused():
    df = pd.DataFrame([["A > B", 1, 2], ["B", 3, 4]], columns=["path", "total_null", "total_null"])
    df.insert(1, "total_conversions", [1.0, 0.0])
    with pytest.raises(InputError, match="2 columns have this name") as info:
        pc.read_paths(df)
    assert info.value.column == "total_null"
    dup_path = pd.DataFrame([["A", "B", 1]], columns=["path", "path", "total_conversions"])
    with pytest.raises(InputError, match="column 'path': 2 columns have this name"):
        pc.read_paths(dup_path)


def test_duplicated_column_that_is_not_read_is_ignored():
    df = pd.DataFrame([["A > B", 1, "x", "y"]], columns=["path", "total_conversions", "n", "n"])
    assert pc.read_paths(df).path_strings() == ["A > B"]


def test_csv_with_a_duplicated_header_column_is_refused(tmp_path):
    # pandas would silently rename the second one to total_conversions.1 and ignore it
    f = write(tmp_path, "path,total_conversions,total_conversions\nA > B,1,5\n")
    with pytest.raises(InputError, match="column 'total_conversions': 2 columns have this name"):
        pc.read_paths(f)
    assert "2 columns have this name" in one_line_cli_error("attribute", f)


# ---------------------------------------------------------------- categorical paths
def test_categorical_path_column_with_nulls_is_a_located_error():
    paths = pd.Categorical(["A > B", "B", None, "A > B"])
    df = pd.DataFrame({"path": paths, "total_conversions": [1.0, 2.0, 3.0, 0.5]})
    with pytest.raises(
        InputError, match=r"column 'path', row 2: conversions on a row with no path"
    ):
        pc.read_paths(df)
    df2 = pd.DataFrame({"path": paths, "total_conversions": [1.0, 2.0, 0.0, 0.5]})
    with pytest.raises(InputError, match=r"row 2: empty path"):
        pc.read_paths(df2)


def test_categorical_paths_read_like_strings(tmp_path):
    df = pd.DataFrame(
        {"path": pd.Categorical(["A > B", "B", "A>B"]), "total_conversions": [1.0, 2.0, 0.5]}
    )
    j = pc.read_paths(df)
    assert j.path_strings() == ["A > B", "B"] and j.conversions.tolist() == [1.5, 2.0]
    df.to_parquet(tmp_path / "cat.parquet")  # stored as an Arrow dictionary
    assert pc.read_paths(tmp_path / "cat.parquet").conversions.tolist() == [1.5, 2.0]


def test_categorical_of_numbers_is_not_text():
    df = pd.DataFrame({"path": pd.Categorical([None, 7]), "total_conversions": [0.0, 1.0]})
    with pytest.raises(InputError, match=r"row 1, value 7: paths must be text"):
        pc.read_paths(df)


# ---------------------------------------------------------------- overflow to infinity
def test_count_that_parses_to_infinity_is_refused(tmp_path):
    f = write(tmp_path, HEADER + "A > B,1,10,0\nB,1e999,5,0\n")
    with pytest.raises(InputError) as info:
        pc.read_paths(f)
    e = info.value
    assert (e.column, e.row, e.value) == ("total_conversions", 1, np.inf)
    assert "infinite count" in str(e)
    assert "infinite count" in one_line_cli_error("attribute", f, "--format", "json")


def test_duplicate_rows_whose_merged_count_overflows_are_refused():
    big = np.finfo(np.float64).max  # 1.8e308: each row is finite, the merged path is not
    df = pd.DataFrame({"path": ["A", "B", "A"], "total_conversions": [big, 1.0, big]})
    with pytest.raises(InputError, match="sum past the largest float") as info:
        pc.read_paths(df)
    assert (info.value.column, info.value.row, info.value.value) == ("total_conversions", 2, big)


def test_counts_whose_column_total_overflows_are_refused(tmp_path):
    f = write(tmp_path, HEADER + "A,1,1e308,0\nB,1,1e308,0\n")
    with pytest.raises(InputError, match="row 1, value 1e.?308: counts sum past") as info:
        pc.read_paths(f)
    assert info.value.column == "total_conversion_value"


def test_large_but_finite_counts_are_kept():
    df = pd.DataFrame({"path": ["A", "A"], "total_conversions": [1e307, 1e307]})
    assert pc.read_paths(df).conversions.tolist() == [2e307]


# ---------------------------------------------------------------- separators
@pytest.mark.parametrize(
    ("paths", "sep", "suggested"),
    [
        (["A > B", "B > C > A", "C"], "->", ">"),  # '>' is inside the requested '->'
        (["A>B", "B>C"], " > ", ">"),  # the requested one contains the real one
        (["A->B", "B->C"], "=>", "->"),
        (["A|B", "C"], ">", "|"),
    ],
)
def test_separator_that_never_occurs_is_refused(paths, sep, suggested):
    df = pd.DataFrame({"path": paths, "total_conversions": [1.0] * len(paths)})
    with pytest.raises(InputError, match=f"sep={suggested!r}") as info:
        pc.read_paths(df, sep=sep)
    assert info.value.row == 0 and info.value.value == paths[0]


def test_cli_arrow_separator_on_angle_paths(tmp_path):
    f = write(tmp_path, "path,total_conversions\nA > B,1\nB,1\n")
    line = one_line_cli_error("attribute", f, "--sep", "->")
    assert "never occurs" in line and "sep='>'" in line and "row 0" in line


def test_separator_that_occurs_is_used():
    df = pd.DataFrame({"path": ["tv -> web", "web"], "total_conversions": [1.0, 1.0]})
    assert pc.read_paths(df, sep="->").paths() == [["tv", "web"], ["web"]]


# ---------------------------------------------------------------- files that are not CSV
def test_directory_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="is a directory"):
        pc.read_paths(tmp_path)
    assert "is a directory" in one_line_cli_error("attribute", tmp_path)


def test_zero_byte_file_is_an_input_error(tmp_path):
    f = write(tmp_path, b"")
    with pytest.raises(InputError, match="empty file"):
        pc.read_paths(f)
    assert "empty file" in one_line_cli_error("report", f)


def test_non_utf8_bytes_name_the_row(tmp_path):
    latin1 = "path,total_conversions\nA > B,1\ncafé > B,2\n".encode("latin-1")
    f = write(tmp_path, latin1)
    with pytest.raises(InputError, match="not UTF-8") as info:
        pc.read_paths(f)
    assert (info.value.column, info.value.row) == ("path", 1)
    assert info.value.value == "café > B".encode("latin-1")
    assert "not UTF-8" in one_line_cli_error("attribute", f)


def test_non_utf8_header_is_an_input_error(tmp_path):
    f = write(tmp_path, "pâth,total_conversions\nA,1\n".encode("latin-1"))
    with pytest.raises(InputError, match="header is not UTF-8"):
        pc.read_paths(f)


@pytest.mark.parametrize("seed", range(5))
def test_binary_file_is_an_input_error(tmp_path, seed):
    data = np.random.default_rng(seed).integers(0, 256, 5000, dtype=np.uint8).tobytes()
    f = write(tmp_path, data, "paths.csv")
    with pytest.raises(InputError):
        pc.read_paths(f)
    one_line_cli_error("attribute", f)


def test_png_and_gzip_garbage_are_input_errors(tmp_path):
    png = write(tmp_path, b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4, "paths.png")
    with pytest.raises(InputError):
        pc.read_paths(png)
    bad_gz = write(tmp_path, b"\x1f\x8b\x08\x00garbage", "paths.csv.gz")
    with pytest.raises(InputError, match="cannot read file"):
        pc.read_paths(bad_gz)
    bad_pq = write(tmp_path, b"PAR1 not really", "paths.parquet")
    with pytest.raises(InputError, match="cannot read file"):
        pc.read_paths(bad_pq)


def test_ragged_rows_name_the_row(tmp_path):
    f = write(tmp_path, "path,total_conversions\nA,1\nB,2,3\n")
    with pytest.raises(InputError, match=r"row 1, value 'B,2,3': expected 2 fields, found 3"):
        pc.read_paths(f)


# ---------------------------------------------------------------- CSV semantics kept
def test_na_and_null_are_channel_names_but_empty_counts_are_missing(tmp_path):
    f = write(tmp_path, "path,total_conversions\nNA > null,1\nNaN,2\nN/A > NA,3\n")
    j = pc.read_paths(f)
    assert j.paths() == [["NA", "null"], ["NaN"], ["N/A", "NA"]]
    assert j.conversions.tolist() == [1.0, 2.0, 3.0]
    g = write(tmp_path, "path,total_conversions\nA,1\nB,\n", "g.csv")
    with pytest.raises(InputError, match=r"row 1: missing, NaN or non-numeric count"):
        pc.read_paths(g)
    h = write(tmp_path, "path,total_conversions\nA,1\nB,NA\n", "h.csv")
    with pytest.raises(InputError, match=r"row 1, value 'NA': missing, NaN or non-numeric"):
        pc.read_paths(h)


def test_padded_numbers_quotes_bom_crlf_and_gzip(tmp_path):
    text = '\ufeffpath;total_conversions\r\n"A > B";" 1 "\r\n"B\n>C";2.5\r\nB;1e2\r\n'
    f = write(tmp_path, text)
    j = pc.read_paths(f)
    assert j.paths() == [["A", "B"], ["B", "C"], ["B"]]
    assert j.conversions.tolist() == [1.0, 2.5, 100.0]
    gz = tmp_path / "paths.csv.gz"
    gz.write_bytes(gzip.compress(text.encode()))
    assert pc.read_paths(gz).conversions.tolist() == [1.0, 2.5, 100.0]


def test_errors_in_later_pieces_count_rows_from_the_top(tmp_path, monkeypatch):
    import pathcredit.journeys.io as io

    monkeypatch.setattr(io, "_CSV_PIECE", 64)  # many small pieces
    rows = [f"c{i % 7} > c{i % 5},{i % 3}\n" for i in range(500)]
    rows[437] = "c1 > c2,-4\n"
    f = write(tmp_path, "path,total_conversions\n" + "".join(rows))
    with pytest.raises(InputError, match=r"row 437, value -4.0: negative count"):
        pc.read_paths(f)
    rows[437] = "c1 > c2,4\n"
    f.write_text("path,total_conversions\n" + "".join(rows))
    j = pc.read_paths(f)
    assert j.total_conversions == sum(i % 3 for i in range(500)) - 437 % 3 + 4


def test_separator_longer_than_every_path_is_the_usual_error(tmp_path):
    # the numpy splitter compared arrays of negative length (ValueError) when the
    # separator was longer than a batch's text; found by the CLI fuzzer
    f = tmp_path / "p.csv"
    f.write_text("path,total_conversions\nA > B,1\nB,2\n")
    with pytest.raises(InputError, match="never occurs, but '>' occurs"):
        pc.read_paths(f, sep="1" * 31)
    j = pc.read_paths(pd.DataFrame({"path": ["A", "B"], "total_conversions": [1, 2]}), sep="x" * 40)
    assert j.path_strings() == ["A", "B"]
