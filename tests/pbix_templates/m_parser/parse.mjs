// Parse Power Query M expressions with Microsoft's parser (@microsoft/powerquery-parser).
//
// stdin:  JSON array of {"name": string, "text": string}
// stdout: JSON array of {"name": string, "ok": boolean, "error": string | null}, in the same order.
//
// An error is the library's own message followed by its position, 1-based: "line L, column C".
// Exit code 0 whenever the input was read (parse failures are data, not process failures); 2 on bad input.
import * as PQP from "@microsoft/powerquery-parser";

const { Parser, TaskUtils, DefaultSettings } = PQP;

function readStdin() {
    return new Promise((resolve, reject) => {
        const chunks = [];
        process.stdin.on("data", (chunk) => chunks.push(chunk));
        process.stdin.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
        process.stdin.on("error", reject);
    });
}

function at(lineNumber, columnNumber) {
    return `line ${lineNumber + 1}, column ${columnNumber + 1}`;
}

function endOfText(text) {
    const lines = text.split(/\r\n|\r|\n/);
    return at(lines.length - 1, lines[lines.length - 1].length);
}

// Where an inner parse or lex error happened, as "line L, column C" (or end of input when the parser ran out of tokens).
function positionOf(innerError, text) {
    if (innerError.positionStart !== undefined) {
        return at(innerError.positionStart.lineNumber, innerError.positionStart.columnNumber);
    }
    if (innerError.graphemePosition !== undefined) {
        return at(innerError.graphemePosition.lineNumber, innerError.graphemePosition.columnNumber);
    }
    if ("foundToken" in innerError) {
        if (innerError.foundToken === undefined) {
            return `end of input (${endOfText(text)})`;
        }
        return at(innerError.foundToken.token.positionStart.lineNumber, innerError.foundToken.columnNumber);
    }
    return undefined;
}

function describe(message, position) {
    return position === undefined ? message : `${message} at ${position}`;
}

// Lex errors are recognised by shape, not with Lexer.LexError.isLexError: in v2.0.0 LexError's constructor sets its
// prototype to the class itself rather than LexError.prototype, so `instanceof LexError` is false for real lex errors.
function lexErrorMessage(error, text) {
    const inner = error.innerError;
    if (inner === undefined) {
        return error.message; // CommonError: an internal failure of the library, reported as is.
    }
    if (inner.errorLineMap instanceof Map) {
        // The lexer keeps going line by line and collects one error per bad line: report each of them.
        const lines = [];
        for (const [lineNumber, line] of inner.errorLineMap) {
            const lineError = line.error;
            const position = lineError.innerError === undefined ? undefined : positionOf(lineError.innerError, text);
            lines.push(describe(lineError.message, position ?? at(lineNumber, 0)));
        }
        return lines.join("; ");
    }
    return describe(error.message, positionOf(inner, text));
}

function parseErrorMessage(error, text) {
    if (!Parser.ParseError.isParseError(error)) {
        return error.message; // CommonError
    }
    return describe(error.message, positionOf(error.innerError, text));
}

async function check(text) {
    const task = await TaskUtils.tryLexParse(DefaultSettings, text);
    if (TaskUtils.isOk(task)) {
        return null;
    }
    if (TaskUtils.isLexStageError(task)) {
        return `lex error: ${lexErrorMessage(task.error, text)}`;
    }
    return `parse error: ${parseErrorMessage(task.error, text)}`;
}

async function main() {
    let items;
    try {
        items = JSON.parse(await readStdin());
        if (!Array.isArray(items)) {
            throw new Error("expected a JSON array");
        }
    } catch (error) {
        process.stderr.write(`parse.mjs: bad input: ${error.message}\n`);
        process.exit(2);
    }
    const results = [];
    for (const { name, text } of items) {
        let error;
        try {
            error = typeof text === "string" ? await check(text) : "input error: text is not a string";
        } catch (exception) {
            error = `parser exception: ${exception?.stack ?? exception}`;
        }
        results.push({ name, ok: error === null, error });
    }
    process.stdout.write(JSON.stringify(results));
}

await main();
