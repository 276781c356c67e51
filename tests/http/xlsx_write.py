#!/usr/bin/env python3
"""xlsx_write.py — writes an xlsx workbook for the import tests with
Python's zipfile, part by part, the way spreadsheet programs do: shared
strings for text, numbers as numbers, a date cell (a serial with a date
style), booleans, inline strings, and on request a merged range, the 1904
date system, or malicious content (a DTD with entities, a zip bomb).

Reads JSON on stdin: {"rows": [[cell, ...], ...], "date1904": false,
"merge": "A2:A3", "evil": null | "dtd" | "bomb"}; a cell is a string, a
number, a boolean, null, or {"date": "YYYY-MM-DD"}. Writes the file to
stdout.
"""
import datetime
import io
import json
import sys
import zipfile
from xml.sax.saxutils import escape


def col_name(i):
    s = ''
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        s = chr(65 + r) + s
    return s


def main():
    spec = json.load(sys.stdin)
    d1904 = spec.get('date1904', False)
    epoch = datetime.date(1904, 1, 1) if d1904 else datetime.date(1899, 12, 30)
    strings, index = [], {}
    rows_xml = []
    for r, row in enumerate(spec['rows']):
        cells = []
        for c, v in enumerate(row):
            ref = f'{col_name(c)}{r + 1}'
            if v is None:
                continue
            if isinstance(v, bool):
                cells.append(f'<c r="{ref}" t="b"><v>{int(v)}</v></c>')
            elif isinstance(v, (int, float)):
                cells.append(f'<c r="{ref}"><v>{v}</v></c>')
            elif isinstance(v, dict) and 'date' in v:
                serial = (datetime.date.fromisoformat(v['date']) - epoch).days
                cells.append(f'<c r="{ref}" s="1"><v>{serial}</v></c>')
            elif isinstance(v, dict) and 'inline' in v:
                cells.append(f'<c r="{ref}" t="inlineStr"><is><t>{escape(v["inline"])}</t></is></c>')
            else:
                if v not in index:
                    index[v] = len(strings)
                    strings.append(v)
                cells.append(f'<c r="{ref}" t="s"><v>{index[v]}</v></c>')
        rows_xml.append(f'<row r="{r + 1}">{"".join(cells)}</row>')
    merge = spec.get('merge')
    sheet = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
             '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
             f'<sheetData>{"".join(rows_xml)}</sheetData>'
             + (f'<mergeCells count="1"><mergeCell ref="{merge}"/></mergeCells>' if merge else '')
             + '</worksheet>')
    evil = spec.get('evil')
    if evil == 'dtd':
        sheet = ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
                 '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
                 '<worksheet><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&lol2;</t></is></c>'
                 '</row></sheetData></worksheet>')
    sst = ('<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
           + ''.join(f'<si><t xml:space="preserve">{escape(s)}</t></si>' for s in strings) + '</sst>')
    out = io.BytesIO()
    z = zipfile.ZipFile(out, 'w', zipfile.ZIP_DEFLATED)
    z.writestr('[Content_Types].xml', '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>')
    z.writestr('_rels/.rels', '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
               '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>')
    z.writestr('xl/workbook.xml', '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
               'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
               + ('<workbookPr date1904="1"/>' if d1904 else '<workbookPr/>')
               + '<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>')
    z.writestr('xl/_rels/workbook.xml.rels', '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
               '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
               '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>'
               '<Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>'
               '</Relationships>')
    z.writestr('xl/styles.xml', '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
               '<cellXfs count="2"><xf numFmtId="0"/><xf numFmtId="14" applyNumberFormat="1"/></cellXfs></styleSheet>')
    z.writestr('xl/sharedStrings.xml', sst)
    if evil == 'bomb':
        sheet = ('<worksheet><sheetData>' + ' ' * (200 << 20) + '</sheetData></worksheet>')
    z.writestr('xl/worksheets/sheet1.xml', sheet)
    z.close()
    sys.stdout.buffer.write(out.getvalue())


main()
