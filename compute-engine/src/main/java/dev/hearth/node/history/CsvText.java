package dev.hearth.node.history;

/// Quoting for one CSV text field (RFC 4180), with spreadsheet-formula neutralising.
final class CsvText {
    private CsvText() {}

    static String field(String s) {
        if (s == null || s.isEmpty()) return "";
        String v = s;
        // OWASP "CSV injection": a cell starting with these runs as a formula in Excel/LibreOffice.
        char c = v.charAt(0);
        if (c == '=' || c == '+' || c == '-' || c == '@' || c == '\t' || c == '\r') v = "'" + v;
        boolean quote = v.indexOf(',') >= 0 || v.indexOf('"') >= 0 || v.indexOf('\n') >= 0 || v.indexOf('\r') >= 0
                || !v.equals(v.strip());
        return quote ? '"' + v.replace("\"", "\"\"") + '"' : v;
    }
}
