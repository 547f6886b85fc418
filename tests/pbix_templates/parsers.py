"""Syntax checks for the expressions in the Power BI semantic model (TMDL): Power Query M and DAX.

- M is parsed by Microsoft's own parser, `@microsoft/powerquery-parser` (npm), through the small Node program in
  `m_parser/` (one `node` process for any number of expressions). `scripts/install` installs Node and runs `npm ci`.
- DAX is parsed by `pbi-parsers` (PyPI, parse only: nothing is evaluated or resolved against the model).

Both functions take {name: expression text} and return {name: error message, or None when the text parses}; a parse
failure is data, never an exception. They raise RuntimeError only when the checker itself cannot run.

What pbi-parsers (0.9.5) accepts that DAX may not:
- Empty arguments anywhere: `SUM(,)`, `IF(1, , 2)`, `CALCULATE(SUM(t[x]), )`, and a trailing comma in a table
  constructor `{1,}`. DAX does allow a skipped argument between two others (`RANKX(ALL(t), [m], , DESC)`), so only a
  trailing empty argument (a comma right before `)` or `}`) is rejected here, by our own token check.
- No name resolution and no arity: unknown functions (`NOSUCHFUNC(1)`) and wrong argument counts (`SUM(a[b], 1)`)
  parse. Those are not syntax; Power BI reports them when it loads the model.
And valid DAX that pbi-parsers 0.9.5 rejects (write the model around these):
- `NOT` as a prefix operator (`NOT t[x]`): write `NOT(t[x])`.
- `IN` not followed by a space (`t[x] IN{1}`): write `t[x] IN {1}`.
- Escaped quotes in names: `'it''s'[x]`, `[a]]b]`.
pbi-parsers checks some of its syntax with `assert`, so under `python -O` it would accept or loop on bad input:
`parse_dax` refuses to run there.
"""

from __future__ import annotations

import itertools
import json
import re
import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path

from pbi_parsers import dax
from pbi_parsers.dax.exprs import any_expression_match

M_PARSER_DIR = Path(__file__).resolve().parent / "m_parser"
M_PARSER_PACKAGE = M_PARSER_DIR / "node_modules" / "@microsoft" / "powerquery-parser"
M_PARSER_TIMEOUT_SECONDS = 300


def parse_m(expressions: Mapping[str, str]) -> dict[str, str | None]:
    """Parse each Power Query M text (an expression or a whole section document) with Microsoft's M parser.

    Returns {name: None} for a text that lexes and parses, {name: "lex error: ... at line L, column C"} or
    {name: "parse error: ... at line L, column C"} (1-based) for one that does not: the library's own message.
    """
    if not expressions:
        return {}
    node = shutil.which("node")
    if node is None:
        raise RuntimeError("`node` is not on PATH: run scripts/install (it installs Node.js and the M parser)")
    if not M_PARSER_PACKAGE.is_dir():
        raise RuntimeError(
            f"the M parser is not installed ({M_PARSER_PACKAGE} is missing): run scripts/install "
            f"(or `npm ci --prefix {M_PARSER_DIR}`)"
        )
    names = list(expressions)
    payload = json.dumps([{"name": name, "text": expressions[name]} for name in names])
    try:
        completed = subprocess.run(
            [node, str(M_PARSER_DIR / "parse.mjs")],
            cwd=M_PARSER_DIR,
            input=payload,
            capture_output=True,
            text=True,
            encoding="utf-8",
            timeout=M_PARSER_TIMEOUT_SECONDS,
            check=False,
        )
    except subprocess.TimeoutExpired as error:
        raise RuntimeError(f"the M parser did not finish in {M_PARSER_TIMEOUT_SECONDS} s") from error
    if completed.returncode != 0:
        raise RuntimeError(f"the M parser (node parse.mjs) exited with {completed.returncode}:\n{completed.stderr}")
    try:
        results = json.loads(completed.stdout)
    except json.JSONDecodeError as error:
        raise RuntimeError(f"the M parser wrote something other than JSON: {completed.stdout[:500]!r}") from error
    if [result.get("name") for result in results] != names:
        raise RuntimeError(f"the M parser answered for {len(results)} expressions, not the {len(names)} it was given")
    parsed: dict[str, str | None] = {}
    for result in results:
        error_text = result.get("error")
        if bool(result.get("ok")) == (error_text is not None):
            raise RuntimeError(f"the M parser gave an inconsistent result: {result!r}")
        parsed[result["name"]] = error_text
    return parsed


def parse_dax(expressions: Mapping[str, str]) -> dict[str, str | None]:
    """Parse each DAX expression (a measure's or calculated column's formula, without `name =`) with pbi-parsers.

    Returns {name: None} for a text that parses, {name: "...message... at line L, column C"} (1-based) otherwise.
    """
    if not __debug__:
        raise RuntimeError("parse_dax needs assertions on: pbi-parsers checks DAX syntax with `assert` (not python -O)")
    return {name: _dax_error(text) for name, text in expressions.items()}


def _dax_error(text: str) -> str | None:
    lexer = dax.Lexer(text)
    try:
        all_tokens = lexer.scan()
    except Exception as error:  # the lexer raises ValueError for a bad character or an unterminated literal
        return f"lex error: {error} (lexer stopped at {_line_column(text, lexer.current_position)})"
    skipped = {dax.TokenType.WHITESPACE, dax.TokenType.SINGLE_LINE_COMMENT, dax.TokenType.MULTI_LINE_COMMENT}
    # An explicit end token, so that a parser that consumes the end moves past it like past any other token.
    tokens = [token for token in all_tokens if token.tok_type not in skipped] + [dax.Token()]
    if trailing_comma := _trailing_empty_argument(tokens):
        return f"parse error: empty last argument or item before {trailing_comma} (our check; pbi-parsers accepts it)"
    # What dax.to_ast does, with the last check done here rather than by an `assert`.
    parser = dax.Parser(tokens)
    try:
        expression = any_expression_match(parser)
    except AssertionError:
        # pbi-parsers asserts that a comma follows each argument that is not the last: the token it consumed was not.
        found = tokens[parser.index - 1] if 0 < parser.index <= len(tokens) else None
        return f"parse error: expected ',' or a closing bracket, found {_describe(found, text)}"
    except Exception as error:  # ValueError with the library's message; anything else is a bug there: report it too
        message = _TOKEN_REPR.sub(_token_repr, str(error))
        if not isinstance(error, ValueError):
            message = f"{type(error).__name__}: {message}"
        return f"parse error: {message} (parser stopped before {_describe(parser.peek(), text)})"
    if expression is None:
        return f"parse error: no DAX expression found at {_describe(parser.peek(), text)}"
    if parser.peek().tok_type != dax.TokenType.EOF:
        return f"parse error: unexpected {_describe(parser.peek(), text)} after a complete expression"
    return None


# How pbi-parsers' messages show a token: Token(tok_type=<TokenType.EQUAL_SIGN: 11>, text_slice=TextSlice(text='=', …))
_TOKEN_REPR = re.compile(
    r"Token\(tok_type=<TokenType\.(\w+): \d+>, text_slice=TextSlice\(text='(.*?)', start=-?\d+, end=-?\d+\)\)"
)


def _token_repr(match: re.Match[str]) -> str:
    return "end of input" if match[1] == "EOF" else f"{match[1]} {match[2]!r}"


def _trailing_empty_argument(tokens: list[dax.Token]) -> str | None:
    closing = {dax.TokenType.RIGHT_PAREN, dax.TokenType.RIGHT_CURLY_BRACE}
    for comma, following in itertools.pairwise(tokens):
        if comma.tok_type == dax.TokenType.COMMA and following.tok_type in closing:
            return f"'{following.text}' at {_line_column(comma.text_slice.full_text, following.text_slice.start)}"
    return None


def _describe(token: dax.Token | None, text: str) -> str:
    if token is None or token.tok_type == dax.TokenType.EOF:
        return f"end of input ({_line_column(text, len(text))})"
    return f"{token.text!r} at {_line_column(text, token.text_slice.start)}"


def _line_column(text: str, offset: int) -> str:
    offset = max(0, min(offset, len(text)))
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return f"line {line}, column {column}"
