"""Path traversal in downloads (OWASP A01:2021 Broken Access Control)"""

import httpx

from grader.checks import check, describe, expect, expect_status

PAYROLL = "payroll-5d1e7a"  # in files/private/payroll.csv, next to the download folder
STAGING = "staging-3c9f42"  # in files/public-staging/, a sibling whose name starts like files/public


def _download(api: httpx.Client, name: str) -> httpx.Response:
    return api.get("/files/download", params={"name": name})


def _refused(api: httpx.Client, names: list[str], secrets: tuple[str, ...]) -> None:
    for name in names:
        response = _download(api, name)
        leaked = [secret for secret in secrets if secret in response.text]
        expect(
            not leaked and response.status_code in (400, 404),
            f"{describe(response)} answered {response.status_code}"
            + (f" with a file from outside files/public ({leaked[0]})." if leaked else "."),
            expected="404 (or 400), nothing from outside files/public",
            actual=f"{response.status_code} {response.text[:60]!r}",
            response=response,
        )


@check(
    "Files in files/public and its subfolders can be downloaded",
    points=2,
    rules=["R5.2", "R6.1"],
    hint="GET /files/download?name=welcome.txt answers 200 with the file; names may contain subfolders "
    "(guides/first-steps.txt). A missing file answers 404.",
)
def test_download_works(api):
    for name, text in (("welcome.txt", "Welcome to Notebook"), ("guides/first-steps.txt", "First steps")):
        response = _download(api, name)
        expect_status(response, 200)
        expect(
            text in response.text,
            f"{describe(response)}: expected the content of {name}.",
            expected=text,
            actual=response.text[:60],
            response=response,
        )
    expect_status(_download(api, "no-such-file.txt"), 404)


@check(
    "../ cannot leave the download folder",
    points=3,
    rules=["R6.2"],
    needs=["download_works"],
    hint="Joining a user's name to a folder does not keep it in the folder. Resolve the full path "
    "(os.path.realpath / Path.resolve) and check it is still inside the folder.",
)
def test_parent_directory_refused(api):
    _refused(
        api,
        [
            "../private/payroll.csv",
            "guides/../../private/payroll.csv",
            "./../private/payroll.csv",
            "guides/../guides/../../private/payroll.csv",
        ],
        (PAYROLL,),
    )


@check(
    "An absolute path cannot be downloaded",
    points=3,
    rules=["R6.2"],
    needs=["download_works"],
    hint="os.path.join('files/public', '/etc/passwd') is '/etc/passwd': an absolute name replaces the "
    "folder. /proc/self/environ would hand out SECRET_KEY.",
)
def test_absolute_path_refused(api, lab):
    secret = lab.app.env["SECRET_KEY"]
    _refused(api, ["/etc/passwd", "//etc/passwd", "/proc/self/environ"], ("root:", secret))


@check(
    "A sibling folder whose name starts the same is refused",
    points=2,
    rules=["R6.2"],
    needs=["download_works"],
    hint="'files/public-staging/x' starts with 'files/public': compare path components "
    "(Path.is_relative_to, os.path.commonpath), not strings.",
)
def test_sibling_folder_refused(api):
    _refused(
        api, ["../public-staging/unreleased.txt", "guides/../../public-staging/unreleased.txt"], (STAGING,)
    )


@check(
    "Filters that strip ../ are not fooled",
    points=2,
    rules=["R6.2"],
    needs=["download_works"],
    hint="Removing '../' once turns '....//' into '../'. Do not repair names: resolve and check.",
)
def test_filter_bypass_refused(api):
    _refused(
        api,
        [
            "....//private/payroll.csv",
            "..././private/payroll.csv",
            ".../...//private/payroll.csv",
            "..%2fprivate%2fpayroll.csv",
        ],
        (PAYROLL,),
    )
