/* patterns_diff.c: art_lua_pattern against Lua 5.4's own string library.
 *
 * Usage: patterns_diff [--max-time S]  differential test and budget checks;
 *                                      an aborted call may take S seconds
 *                                      (default 0.5; more under valgrind)
 *        patterns_diff --bench [N]     time N calls (default 1000000) of
 *                                      common patterns with both
 *
 * One Lua state keeps the original string.find, match, gmatch and gsub in a
 * table before art_lua_pattern_open() replaces them.  Every case is run with
 * both under pcall and the results compared as text: every return value with
 * its type (integer or float), the number of values, and error messages.
 * The cases are hand-written ones for each feature of the manual's section on
 * patterns and its corner cases (errors, start positions, nesting and capture
 * limits, embedded zeros, replacement kinds), then several thousand random
 * patterns and subjects over a small alphabet from a fixed seed.  The budget
 * checks then show that a catastrophic pattern, and the other ways of making
 * the matcher work for long (%b, back-references, long plain needles, loops of
 * short calls), end at the check function within a fraction of a second.
 *
 * Prints one entry per failure and finally "patterns: N passed, M failed";
 * the exit status is non-zero when anything failed.  The Lua code of the
 * cases is kept in strings below so the program is one file.
 */
#define _POSIX_C_SOURCE 200809L

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>

#include "art_lua_pattern.h"

#define THREAD_KEY "patterns_diff.thread"

static const char *const names[] = { "find", "match", "gmatch", "gsub", NULL };

static long passed, failed;
static long check_calls;         /* since the last budget() */
static long check_limit;         /* raise on this call; 0: never */

/* ------------------------------------------------------------------ Lua code */

/* The differential cases.  Arguments: O, N, report. */
static const char cases_lua[] =
    "-- Arguments: the original functions, the budgeted ones, a function that\n"
    "-- reports one comparison.  Both are called from the same line through the\n"
    "-- same local name, so messages that name the function or the caller's line\n"
    "-- are comparable.\n"
    "local O, N, report = ...\n"
    "\n"
    "local function ser(v)\n"
    "    local t = type(v)\n"
    "    if t == 'string' then\n"
    "        return string.format('%q', v)\n"
    "    elseif t == 'number' then\n"
    "        return math.type(v) .. ' ' .. string.format('%q', v)\n"
    "    elseif t == 'boolean' or t == 'nil' then\n"
    "        return tostring(v)\n"
    "    end\n"
    "    return t\n"
    "end\n"
    "\n"
    "local function serpack(r)\n"
    "    local out = {}\n"
    "    for i = 1, r.n do\n"
    "        out[i] = ser(r[i])\n"
    "    end\n"
    "    return '(' .. table.concat(out, ', ') .. ')'\n"
    "end\n"
    "\n"
    "-- Replacement arguments for gsub are made afresh for each implementation, so\n"
    "-- stateful ones start equal.\n"
    "local function fresh(v)\n"
    "    if type(v) == 'table' and v.make then\n"
    "        return v.make()\n"
    "    end\n"
    "    return v\n"
    "end\n"
    "\n"
    "local function run(impl, op, args)\n"
    "    local f = impl[op]\n"
    "    if op == 'gmatch' then\n"
    "        return table.pack(pcall(function()\n"
    "            local it = f(table.unpack(args, 1, args.n))\n"
    "            local out = {}\n"
    "            for _ = 1, 100 do\n"
    "                local r = table.pack(it())\n"
    "                out[#out + 1] = serpack(r)\n"
    "                if r[1] == nil then\n"
    "                    break\n"
    "                end\n"
    "            end\n"
    "            return table.concat(out, ' ')\n"
    "        end))\n"
    "    end\n"
    "    if op == 'gsub' then\n"
    "        local a = table.pack(table.unpack(args, 1, args.n))\n"
    "        a[3] = fresh(a[3])\n"
    "        return table.pack(pcall(function()\n"
    "            return f(table.unpack(a, 1, a.n))\n"
    "        end))\n"
    "    end\n"
    "    return table.pack(pcall(function()\n"
    "        return f(table.unpack(args, 1, args.n))\n"
    "    end))\n"
    "end\n"
    "\n"
    "local function describe(op, args)\n"
    "    local out = {}\n"
    "    for i = 1, args.n do\n"
    "        local v = args[i]\n"
    "        if type(v) == 'table' and v.name then\n"
    "            out[i] = v.name\n"
    "        else\n"
    "            out[i] = ser(v)\n"
    "        end\n"
    "    end\n"
    "    return op .. '(' .. table.concat(out, ', ') .. ')'\n"
    "end\n"
    "\n"
    "local count = 0\n"
    "local function compare(op, ...)\n"
    "    local args = table.pack(...)\n"
    "    count = count + 1\n"
    "    local want = serpack(run(O, op, args))\n"
    "    local got = serpack(run(N, op, args))\n"
    "    if want == got then\n"
    "        report(true)\n"
    "    else\n"
    "        report(false, describe(op, args) .. '\\n    lua:  ' .. want ..\n"
    "               '\\n    ours: ' .. got)\n"
    "    end\n"
    "end\n"
    "\n"
    "-- Replacements for gsub: strings, numbers, tables and functions.\n"
    "local function maker(name, make)\n"
    "    return { name = name, make = make }\n"
    "end\n"
    "local cat = maker('cat', function()\n"
    "    return function(...)\n"
    "        local t = table.pack(...)\n"
    "        for i = 1, t.n do\n"
    "            t[i] = tostring(t[i])\n"
    "        end\n"
    "        return '<' .. table.concat(t, '|') .. '>'\n"
    "    end\n"
    "end)\n"
    "local alternate = maker('alternate', function()\n"
    "    local k = 0\n"
    "    return function(c)\n"
    "        k = k + 1\n"
    "        if k % 2 == 0 then\n"
    "            return false\n"
    "        end\n"
    "        return '{' .. tostring(c) .. '}'\n"
    "    end\n"
    "end)\n"
    "local nothing = maker('nothing', function()\n"
    "    return function() end\n"
    "end)\n"
    "local number = maker('number', function()\n"
    "    return function() return 7.5 end\n"
    "end)\n"
    "local badvalue = maker('badvalue', function()\n"
    "    return function() return {} end\n"
    "end)\n"
    "local lookup = maker('lookup', function()\n"
    "    return { a = 'A', b = false, ['1'] = 'one', [1] = 'first', ['()'] = 'P',\n"
    "             [3] = 3, x = true }\n"
    "end)\n"
    "local indexed = maker('indexed', function()\n"
    "    return setmetatable({}, { __index = function(_, k)\n"
    "        return type(k) == 'string' and #k > 1 and k:upper() or nil\n"
    "    end })\n"
    "end)\n"
    "\n"
    "-- Every function on one subject and pattern.\n"
    "local function all(s, p, init)\n"
    "    compare('find', s, p, init)\n"
    "    compare('match', s, p, init)\n"
    "    compare('gmatch', s, p, init)\n"
    "    compare('gsub', s, p, '[%0]')\n"
    "    compare('gsub', s, p, cat)\n"
    "    compare('gsub', s, p, lookup, 2)\n"
    "end\n"
    "\n"
    "---------------------------------------------------------------- by hand\n"
    "\n"
    "-- Single characters, '.', classes.\n"
    "local text = 'Hello, World! 123 abc_DEF\\t\\n\\0x7F\\127\\200\\255 end.'\n"
    "for _, cl in ipairs({ 'a', 'c', 'd', 'g', 'l', 'p', 's', 'u', 'w', 'x', 'z' }) do\n"
    "    all(text, '%' .. cl)\n"
    "    all(text, '%' .. cl:upper() .. '+')\n"
    "    all(text, '[%' .. cl .. ']+')\n"
    "    all(text, '[^%' .. cl .. ']+')\n"
    "end\n"
    "for _, p in ipairs({ 'l', 'lo', '.', '..', 'o.', '%.', '%%', '%(', '%]', '%-',\n"
    "                     '%\\0', '\\0', 'x\\0', '%\\255', '\\200.', '%e', '%E', '%_', '% ',\n"
    "                     'Hello', 'end%.$', '^Hello', '^ello', '$', '^$', '^', '',\n"
    "                     'a$b', '$$', '^^H', 'd.$', '%$', '%^' }) do\n"
    "    all(text, p)\n"
    "end\n"
    "all('', '')\n"
    "all('', '^$')\n"
    "all('', '.')\n"
    "all('', '.*')\n"
    "all('', '()')\n"
    "all('a', '')\n"
    "all('aaa', '')\n"
    "all('aaa', 'b*')\n"
    "\n"
    "-- Sets.\n"
    "for _, p in ipairs({ '[abc]', '[a-c]+', '[^a-c]+', '[]]', '[]a]+', '[^]]+',\n"
    "                     '[^]a]+', '[a-]+', '[-a]+', '[a%-z]+', '[%a-]+', '[z-a]',\n"
    "                     '[%]]', '[%%]', '[a^]+', '[%^]', '[^^]+', '[.]', '[%.]',\n"
    "                     '[%w_]+', '[%W]', '[%d-z]+', '[\\0-\\31]+', '[\\200-\\255]+',\n"
    "                     '[a-a]', '[--/]+', '[]-a]+', '[', '[a', '[^', '[]', '[^]',\n"
    "                     '[%', '[a%]', '[a-', '[%a', 'x[', 'x[a', '[]]]', '[a]]' }) do\n"
    "    all('abc]-^.%z_ A9\\0\\1\\200x', p)\n"
    "end\n"
    "\n"
    "-- Quantifiers and backtracking.\n"
    "for _, p in ipairs({ 'a*', 'a+', 'a-', 'a?', 'a*b', 'a+b', 'a-b', 'a?b',\n"
    "                     'a*a', 'a+a', 'a-a', 'a?a', '.*b', '.-b', '.+b', '.?b',\n"
    "                     '.-', '.*', 'b*$', 'a-$', '^a-$', '^(a*)(a*)$',\n"
    "                     '^(a-)(a*)$', '^(a?)(a?)(a?)b', '[ab]*c', '[ab]-c',\n"
    "                     '(a+)(b+)', 'a**', 'a++', 'a*+', '*a', '+a', '-a', '?a',\n"
    "                     '^*', '^+', 'x*', 'x-', 'x?', 'x+', '%a*', '%a-',\n"
    "                     '%a+%d', '.-%d', '(.-)b(.-)b', '(.*)b(.*)b' }) do\n"
    "    all('aaab aab ab b cab', p)\n"
    "end\n"
    "\n"
    "-- Captures.\n"
    "for _, p in ipairs({ '(a)', '(a)(b)', '((a)(b))', '()', '()a()', '(a()b)',\n"
    "                     '(%a+) (%a+)', '(h)(e)(l)(l)(o)', '(', ')', '(a', 'a)',\n"
    "                     '((a)', '(a))', '()()', '(()())', '(.-)()$', '^()',\n"
    "                     '()$', '(%w*)', '(.)%1', '(.)(.)%2%1', '(a*)%1', '%1',\n"
    "                     '(a)%2', '(a%1)', '%0', '(a)%0', '()%1', '(b)(%1)',\n"
    "                     '(%a+)%s*=%s*(%a+)', '(a)(b)(c)(d)(e)(f)(g)(h)(i)(j)',\n"
    "                     '(((((((((((a)))))))))))' }) do\n"
    "    all('hello abba aaaa  ab=cd  ba', p)\n"
    "end\n"
    "all(('x'):rep(40), ('(x)'):rep(32))\n"
    "all(('x'):rep(40), ('(x)'):rep(33))\n"
    "all(('x'):rep(40), ('()'):rep(32))\n"
    "all(('x'):rep(40), ('()'):rep(33))\n"
    "all(('x'):rep(40), ('(x'):rep(32) .. (')'):rep(32))\n"
    "\n"
    "-- %b and %f.\n"
    "for _, p in ipairs({ '%b()', '%b)(', '%b((', '%b\"\"', '%bab', '%b', '%b(',\n"
    "                     '(%b())', 'x%b()', '%b()$', '%b()%b[]', '%b\\0\\1',\n"
    "                     '%f[%w]%w+', '%f[%W]', '%f[%a]', '%f[^%a]', '%f[a-z]',\n"
    "                     '%f[%z]', '%f[%Z]', '%f[\\0]', '%f[^\\0]', '%f', '%fa',\n"
    "                     '%f[', '%f[a', '%f[]]', '%f[%w]()', '%f[%l]%a+%f[%A]' }) do\n"
    "    all('f(a(b)c) (d)) \"q\" x[y] THE (quick) brown\\0fox', p)\n"
    "end\n"
    "\n"
    "-- Anchors: '^' only at the start, '$' only at the end; gmatch has no anchor.\n"
    "for _, p in ipairs({ '^a', '^a*', 'a^', 'a$', '^a$', '^$', '$a', 'a$$',\n"
    "                     '^^', '%^a', '^(a)', '^()', '(^a)', '(a$)', 'a$()' }) do\n"
    "    all('aa^a$', p)\n"
    "    all('a', p)\n"
    "end\n"
    "\n"
    "-- Start positions, negative and out of range.\n"
    "for _, init in ipairs({ -100, -7, -6, -5, -1, 0, 1, 2, 5, 6, 7, 8, 100,\n"
    "                        math.maxinteger, math.mininteger, '2', '-1', 3.0 }) do\n"
    "    all('aXbXc', 'X', init)\n"
    "    all('aXbXc', '', init)\n"
    "    all('aXbXc', '^.', init)\n"
    "    all('aXbXc', '()', init)\n"
    "    compare('find', 'aXbXc', 'X', init, true)\n"
    "    compare('find', 'aXbXc', 'Xb', init, 1)\n"
    "    compare('find', 'aXbXc', '', init, true)\n"
    "    compare('find', 'aXbXc', '[', init, true)\n"
    "    compare('find', 'aXbXc', '[', init)\n"
    "end\n"
    "\n"
    "-- Plain find and patterns without specials.\n"
    "for _, p in ipairs({ 'a.', 'b]', 'c)', 'a\\0b', '\\0', '%a', '', 'xyz', ')(' }) do\n"
    "    compare('find', 'xa.b]c)a\\0b\\0%a)(', p, 1, true)\n"
    "    compare('find', 'xa.b]c)a\\0b\\0%a)(', p)\n"
    "    compare('find', 'xa.b]c)a\\0b\\0%a)(', p, 3, false)\n"
    "    compare('find', 'xa.b]c)a\\0b\\0%a)(', p, nil, nil)\n"
    "end\n"
    "\n"
    "-- Argument conversion and errors.\n"
    "all(12345, 3)\n"
    "all(12345, '%d%d')\n"
    "all(1.5, '%.')\n"
    "all(-0.0, '0')\n"
    "compare('gsub', 12345, 'x', 'y')\n"
    "compare('gsub', 12345, '3', 9)\n"
    "compare('gsub', 'abc', 'b', 2.5)\n"
    "compare('find', 'abc', 'b', 1.5)\n"
    "compare('find', 'abc', 'b', '1.5')\n"
    "compare('find', 'abc', 'b', 'x')\n"
    "compare('find', 'abc', 'b', {})\n"
    "compare('find', nil, 'b')\n"
    "compare('find', 'abc', nil)\n"
    "compare('find', 'abc')\n"
    "compare('find')\n"
    "compare('find', {}, 'x')\n"
    "compare('match', 'abc', true)\n"
    "compare('match', 'abc', 'b', 1.5)\n"
    "compare('gmatch', 'abc')\n"
    "compare('gmatch', nil, 'a')\n"
    "compare('gmatch', 'abc', 'b', 'x')\n"
    "compare('gmatch', 'abc', 'b', -1)\n"
    "compare('gsub', 'abc', 'b')\n"
    "compare('gsub', 'abc', 'b', nil)\n"
    "compare('gsub', 'abc', 'b', true)\n"
    "compare('gsub', 'abc', 'b', nil, 'x')\n"
    "compare('gsub', 'abc', 'b', 'x', 'y')\n"
    "compare('gsub', 'abc', 'b', 'x', 1.5)\n"
    "compare('gsub', 'abc', 'b', 'x', '1')\n"
    "compare('gsub', nil, 'b', 'x')\n"
    "compare('gsub', 'abc', nil, 'x')\n"
    "compare('gsub', 'abc', '[', true)\n"
    "\n"
    "-- gsub: replacement strings, tables, functions and the count.\n"
    "local subj = 'hello world from Lua (5.4) a=b'\n"
    "for _, r in ipairs({ '%0', '%1', '%2', '%1%2', '[%1|%2]', '%%', '%', 'x%',\n"
    "                     '%a', '%%1', '%9', '%10', '', 'plain', '%0%0', 42, 4.25,\n"
    "                     cat, alternate, nothing, number, badvalue, lookup, indexed,\n"
    "                     '%\\0', 'a\\0b' }) do\n"
    "    for _, p in ipairs({ '%w+', '(%w+)', '(%w+)=(%w+)', '()', '(o)()', '',\n"
    "                         '^h', '^(%w)', 'xyz', '%b()', '(l)(l)', '%s*' }) do\n"
    "        compare('gsub', subj, p, r)\n"
    "    end\n"
    "end\n"
    "for _, n in ipairs({ -1, 0, 1, 2, 3, 100, math.maxinteger, math.mininteger, 2.0 }) do\n"
    "    compare('gsub', 'abcabc', 'b', 'X', n)\n"
    "    compare('gsub', 'abcabc', '', '-', n)\n"
    "    compare('gsub', 'abcabc', 'x*', '-', n)\n"
    "    compare('gsub', 'abcabc', '^a', '-', n)\n"
    "    compare('gsub', 'abc', '', cat, n)\n"
    "end\n"
    "compare('gsub', 'hello world', '(o)', { o = 'O' })\n"
    "compare('gsub', 'abc', '%w', '%1')\n"
    "compare('gsub', 'abc', '', '%1')\n"
    "compare('gsub', 'abc', '()', '%1')\n"
    "compare('gsub', 'abc', '(', 'x')\n"
    "compare('gsub', 'abc', '(b', cat)\n"
    "compare('gsub', 'abc', 'b)', 'x')\n"
    "compare('gsub', 'abc', 'x)', 'x')\n"
    "compare('gsub', '', '', 'x')\n"
    "compare('gsub', '', 'x*', 'y')\n"
    "compare('gsub', 'a,b,,c', '[^,]*', '<%0>')\n"
    "compare('gsub', 'a,b,,c', ',*', '|')\n"
    "compare('gsub', 'abc', '.-', '-')\n"
    "compare('gsub', 'abc', 'b*', '-')\n"
    "\n"
    "-- gmatch with empty matches and init.\n"
    "for _, p in ipairs({ '', 'a*', 'a-', '()', '(a*)()', '%w+', '^a', '$', '.$' }) do\n"
    "    for _, init in ipairs({ nil, 1, 2, 4, 5, 6, -1, -2, 0 }) do\n"
    "        compare('gmatch', 'aab a', p, init)\n"
    "    end\n"
    "end\n"
    "\n"
    "-- Nesting limit: '?' nests a call per item that matches.\n"
    "for _, k in ipairs({ 1, 50, 197, 198, 199, 200, 201, 300 }) do\n"
    "    all(('a'):rep(300), ('a?'):rep(k))\n"
    "    all(('a'):rep(300), ('a*'):rep(k))\n"
    "    all(('a'):rep(300), ('(a)'):rep(math.min(k, 31)) .. ('a?'):rep(k))\n"
    "    all(('a'):rep(300), ('x?'):rep(k) .. 'a')\n"
    "end\n"
    "\n"
    "-- Subjects with embedded zeros.\n"
    "all('a\\0b\\0c', '%z')\n"
    "all('a\\0b\\0c', '[%z]')\n"
    "all('a\\0b\\0c', '[\\0]+')\n"
    "all('a\\0b\\0c', '\\0b')\n"
    "all('a\\0b\\0c', '(.)%z(.)')\n"
    "all('a\\0b\\0c', '.-\\0')\n"
    "all('\\0\\0', '%f[%Z]')\n"
    "\n"
    "local by_hand = count\n"
    "print('by hand: ' .. by_hand .. ' comparisons')\n"
    "\n"
    "---------------------------------------------------------------- random\n"
    "\n"
    "-- A fixed-seed generator of our own, so the cases do not depend on the\n"
    "-- version of math.random.\n"
    "local seed = 20240601\n"
    "local function rnd(n)\n"
    "    seed = (seed * 6364136223846793005 + 1442695040888963407)\n"
    "    return ((seed >> 33) % n) + 1\n"
    "end\n"
    "local function pick(t)\n"
    "    return t[rnd(#t)]\n"
    "end\n"
    "\n"
    "local ptok = { 'a', 'a', 'b', 'b', 'c', '.', '.', '%a', '%d', '%s', '%w',\n"
    "               '%W', '%x', '%p', '[ab]', '[^a]', '[a-c]', '[%a1]', '[]a]',\n"
    "               '[^]b]', '*', '*', '+', '+', '-', '-', '?', '?', '(', '(', ')',\n"
    "               ')', '()', '%1', '%2', '%b()', '%bab', '%f[a]', '%f[%W]', '^',\n"
    "               '$', '$', '%', '[', ']', '%%', '%(', '%.', '\\0', '1', ' ', '%z' }\n"
    "local stok = { 'a', 'a', 'a', 'b', 'b', 'c', '(', ')', ' ', '1', '-', '\\0',\n"
    "               '%', '.', ']' }\n"
    "local classes = { '.', '%a', '%w', '%s', '%S', '%p', '[ab]', '[^b]', '[%a%d]',\n"
    "                  '%z', '[(]', '%d' }\n"
    "local quantifiers = { '*', '+', '-', '?' }\n"
    "local repls = { '%0', '<%1>', 'x%2y', '%%', '%', '-', 5, cat, alternate,\n"
    "                nothing, lookup }\n"
    "local ops = { 'find', 'find', 'match', 'match', 'gmatch', 'gsub', 'gsub' }\n"
    "\n"
    "-- A pattern made of random tokens: mostly errors and misses.\n"
    "local function token_pattern()\n"
    "    local p = {}\n"
    "    for i = 1, rnd(6) do\n"
    "        p[i] = pick(ptok)\n"
    "    end\n"
    "    return table.concat(p)\n"
    "end\n"
    "\n"
    "-- A pattern made from a piece of the subject, with bytes turned into\n"
    "-- classes, quantifiers and captures added: mostly matches.\n"
    "local function derived_pattern(s)\n"
    "    local p, open = {}, 0\n"
    "    local from = rnd(#s + 1)\n"
    "    if rnd(6) == 1 then\n"
    "        p[#p + 1] = '^'\n"
    "    end\n"
    "    for i = from, math.min(#s, from + rnd(5) - 1) do\n"
    "        local c = s:sub(i, i)\n"
    "        if rnd(6) == 1 then\n"
    "            p[#p + 1] = '('\n"
    "            open = open + 1\n"
    "        end\n"
    "        if rnd(3) == 1 then\n"
    "            c = pick(classes)\n"
    "        elseif O.find(c, '%W') and c ~= ' ' and c ~= '\\0' then\n"
    "            c = '%' .. c\n"
    "        end\n"
    "        p[#p + 1] = c\n"
    "        if rnd(3) == 1 then\n"
    "            p[#p + 1] = pick(quantifiers)\n"
    "        end\n"
    "        if open > 0 and rnd(3) == 1 then\n"
    "            p[#p + 1] = ')'\n"
    "            open = open - 1\n"
    "        end\n"
    "        if rnd(10) == 1 then\n"
    "            p[#p + 1] = pick({ '%1', '()', '%b()', '%f[%w]', '%f[%W]' })\n"
    "        end\n"
    "    end\n"
    "    p[#p + 1] = (')'):rep(open)\n"
    "    if rnd(6) == 1 then\n"
    "        p[#p + 1] = '$'\n"
    "    end\n"
    "    return table.concat(p)\n"
    "end\n"
    "\n"
    "for _ = 1, 8000 do\n"
    "    local s = {}\n"
    "    for i = 1, rnd(21) - 1 do\n"
    "        s[i] = pick(stok)\n"
    "    end\n"
    "    s = table.concat(s)\n"
    "    local p = rnd(2) == 1 and token_pattern() or derived_pattern(s)\n"
    "    local init = rnd(3) == 1 and rnd(33) - 17 or nil\n"
    "    local op = pick(ops)\n"
    "    if op == 'gsub' then\n"
    "        compare('gsub', s, p, pick(repls), rnd(4) == 1 and rnd(4) - 1 or nil)\n"
    "    elseif op == 'find' and rnd(8) == 1 then\n"
    "        compare('find', s, p, init, true)\n"
    "    else\n"
    "        compare(op, s, p, init)\n"
    "    end\n"
    "end\n"
    "print('random: ' .. count - by_hand .. ' comparisons')\n";

/* The budget checks.  Arguments: O, N, report, budget, checks, thread, clock,
 * max_time. */
static const char checks_lua[] =
    "-- Arguments: the original and the budgeted functions, report(ok, what),\n"
    "-- budget(n) (the check raises on its n-th call from now; 0: never),\n"
    "-- checks() (calls since budget()), thread() (the lua_State the last check\n"
    "-- was given, as a thread), clock() (seconds, monotonic), and the time an\n"
    "-- aborted call may take.\n"
    "local O, N, report, budget, checks, thread, clock, max_time = ...\n"
    "\n"
    "local EVERY = 4096\n"
    "local LIMIT = 245                    -- about 1,000,000 steps\n"
    "\n"
    "-- Run f under a budget of LIMIT checks: it must fail with the check's error,\n"
    "-- having used exactly that many checks, within max_time seconds.\n"
    "local function stops(what, f, ...)\n"
    "    budget(LIMIT)\n"
    "    local t = clock()\n"
    "    local ok, err = pcall(f, ...)\n"
    "    t = clock() - t\n"
    "    local n = checks()\n"
    "    budget(0)\n"
    "    local good = not ok and type(err) == 'string'\n"
    "        and err:find('pattern budget exceeded', 1, true) ~= nil\n"
    "        and n == LIMIT and t < max_time\n"
    "    report(good, string.format('%s: ok=%s err=%s checks=%d time=%.3fs', what,\n"
    "                               tostring(ok), tostring(err), n, t))\n"
    "    if good then\n"
    "        print(string.format('  %-44s stopped after %d steps in %.3f s', what,\n"
    "                            n * EVERY, t))\n"
    "    end\n"
    "end\n"
    "\n"
    "local long = ('a'):rep(30000)\n"
    "local evil = '.-.-.-.-.-b'\n"
    "stops('string.find((\"a\"):rep(30000), \"' .. evil .. '\")', string.find, long, evil)\n"
    "stops('string.match, same', string.match, long, evil)\n"
    "stops('string.gsub, same', string.gsub, long, evil, 'x')\n"
    "stops('string.gmatch, same', function() return string.gmatch(long, evil)() end)\n"
    "stops('method call s:find', function() return long:find(evil) end)\n"
    "stops('find with init', string.find, long, evil, 5)\n"
    "stops('inside a coroutine', function()\n"
    "    local co = coroutine.wrap(function() return long:find(evil) end)\n"
    "    return co()\n"
    "end)\n"
    "stops('inside a gsub callback', string.gsub, 'x y', '%w', function()\n"
    "    return long:match(evil)\n"
    "end)\n"
    "stops('%b() on (\"(\"):rep(30000)', string.find, ('('):rep(30000), '%b()')\n"
    "stops('back-references', string.find, long, '(a-)%1%1%1b')\n"
    "stops('plain find, long needle', string.find, long, ('a'):rep(3000) .. 'b', 1, true)\n"
    "stops('find without specials, long needle', string.find, long, ('a'):rep(3000) .. 'b')\n"
    "stops('loop of short finds', function()\n"
    "    for _ = 1, 1e7 do\n"
    "        string.find('abc', '%a+$')\n"
    "    end\n"
    "end)\n"
    "\n"
    "-- The check is given the running thread, so an error goes where it belongs.\n"
    "do\n"
    "    local co = coroutine.create(function()\n"
    "        budget(1)\n"
    "        return long:find(evil)\n"
    "    end)\n"
    "    local ok, err = coroutine.resume(co)\n"
    "    budget(0)\n"
    "    report(not ok and err:find('pattern budget exceeded', 1, true)\n"
    "           and thread() == co, 'check called with the coroutine: ' .. tostring(err))\n"
    "end\n"
    "\n"
    "-- The count runs on across calls.\n"
    "budget(0)\n"
    "for _ = 1, 100000 do\n"
    "    string.find('abc', '%a')\n"
    "end\n"
    "report(checks() >= 100000 // EVERY, 'checks across calls: ' .. checks())\n"
    "\n"
    "-- After an abort every function still works, an aborted gmatch iterator too.\n"
    "do\n"
    "    local s = 'k1=v1,' .. (' '):rep(3 * EVERY) .. 'k2=v2, k3=v3, k4=v4'\n"
    "    local it = string.gmatch(s, '(%w+)=(%w+)')\n"
    "    local first = table.pack(it())\n"
    "    budget(1)\n"
    "    local ok = pcall(it)\n"
    "    budget(0)\n"
    "    local rest = {}\n"
    "    for k, v in it do\n"
    "        rest[#rest + 1] = k .. v\n"
    "    end\n"
    "    report(first[1] == 'k1' and not ok and table.concat(rest, ',') == 'k2v2,k3v3,k4v4',\n"
    "           'gmatch after an abort: ' .. table.concat(rest, ','))\n"
    "    report(string.find('abc', 'b') == 2 and string.gsub('abc', '%w', '%0%0') == 'aabbcc'\n"
    "           and string.match('  x  ', '^%s*(.-)%s*$') == 'x',\n"
    "           'functions work after an abort')\n"
    "end\n"
    "\n"
    "-- The string metatable's __index is the string table.\n"
    "report(getmetatable('').__index.find == N.find and ('abc'):find('b') == 2\n"
    "       and N.find ~= O.find and N.gsub ~= O.gsub and N.match ~= O.match\n"
    "       and N.gmatch ~= O.gmatch, 'string metatable uses the budgeted functions')\n";

/* The benchmark.  Arguments: O, N, clock, iterations. */
static const char bench_lua[] =
    "-- Arguments: the original and the budgeted functions, clock(), iterations.\n"
    "-- Each line times the same loop with both, three times in turn, and keeps the\n"
    "-- best time of each; the loop itself is in both times.  Cases on the long\n"
    "-- subject run a fiftieth of the iterations.\n"
    "local O, N, clock, iterations = ...\n"
    "\n"
    "local para = ('Lorem ipsum dolor sit amet, consectetur adipiscing elit. '):rep(16)\n"
    "    .. 'Published 2024-06-01.'\n"
    "local cases = {\n"
    "    { 'find', '  hello world  ', '^%s*(.-)%s*$' },\n"
    "    { 'match', '  hello world  ', '^%s*(.-)%s*$' },\n"
    "    { 'find', 'key=value', '(%w+)=(%w+)' },\n"
    "    { 'match', 'key=value', '(%w+)=(%w+)' },\n"
    "    { 'find', 'abc 12345 def', '%d+' },\n"
    "    { 'find', 'hello world', 'wor', 1, true },\n"
    "    { 'find', para, '%d+' },\n"
    "    { 'match', para, '(%d+)-(%d+)-(%d+)' },\n"
    "    { 'gsub', 'hello world from lua', '%w+', '<%0>' },\n"
    "    { 'gsub', '  trim me  ', '^%s*(.-)%s*$', '%1' },\n"
    "    { 'gsub', 'a=1, b=2, c=3', '(%w+)=(%w+)', '%2=%1' },\n"
    "    { 'gsub', para, '%s+', ' ' },\n"
    "    { 'gmatch', 'a=1, b=2, c=3', '(%w+)=(%w+)' },\n"
    "}\n"
    "\n"
    "local function time(f, c)\n"
    "    local s, p, a, b = c[2], c[3], c[4], c[5]\n"
    "    local n = #s > 100 and iterations // 50 or iterations\n"
    "    local t = clock()\n"
    "    if c[1] == 'gmatch' then\n"
    "        for _ = 1, n do\n"
    "            for _ in f(s, p) do end\n"
    "        end\n"
    "    else\n"
    "        for _ = 1, n do\n"
    "            f(s, p, a, b)\n"
    "        end\n"
    "    end\n"
    "    return clock() - t\n"
    "end\n"
    "\n"
    "local total_o, total_n = 0, 0\n"
    "print(string.format('%-8s %-28s %-18s %8s %8s %6s', 'function', 'subject', 'pattern',\n"
    "                    'lua s', 'ours s', 'ratio'))\n"
    "for _, c in ipairs(cases) do\n"
    "    local to, tn = math.huge, math.huge\n"
    "    for _ = 1, 3 do\n"
    "        to = math.min(to, time(O[c[1]], c))\n"
    "        tn = math.min(tn, time(N[c[1]], c))\n"
    "    end\n"
    "    total_o, total_n = total_o + to, total_n + tn\n"
    "    local subj = #c[2] > 24 and c[2]:sub(1, 12) .. '... (' .. #c[2] .. ' bytes)'\n"
    "        or '\"' .. c[2] .. '\"'\n"
    "    print(string.format('%-8s %-28s %-18s %8.3f %8.3f %6.2f', c[1], subj, c[3],\n"
    "                        to, tn, tn / to))\n"
    "end\n"
    "print(string.format('total: lua %.3f s, ours %.3f s, ratio %.2f (%d calls a case,'\n"
    "                    .. ' %d on the long subject)', total_o, total_n,\n"
    "                    total_n / total_o, iterations, iterations // 50))\n";

/* ------------------------------------------------------------------ helpers */

/* The check given to art_lua_pattern_open: counts, remembers the thread it
 * was called in, and aborts the match once the limit is reached. */
static void test_check(lua_State *L)
{
    lua_pushthread(L);
    lua_setfield(L, LUA_REGISTRYINDEX, THREAD_KEY);
    check_calls++;
    if (check_limit && check_calls >= check_limit) {
        luaL_error(L, "pattern budget exceeded");
    }
}

/* report(ok, what): count one comparison, print what when it failed. */
static int test_report(lua_State *L)
{
    if (lua_toboolean(L, 1)) {
        passed++;
    }
    else {
        failed++;
        printf("FAIL %s\n", luaL_optstring(L, 2, "?"));
    }
    return 0;
}

static int test_budget(lua_State *L)
{
    check_limit = (long)luaL_checkinteger(L, 1);
    check_calls = 0;
    return 0;
}

static int test_checks(lua_State *L)
{
    lua_pushinteger(L, check_calls);
    return 1;
}

static int test_thread(lua_State *L)
{
    lua_getfield(L, LUA_REGISTRYINDEX, THREAD_KEY);
    return 1;
}

static int test_clock(lua_State *L)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    lua_pushnumber(L, (lua_Number)ts.tv_sec + (lua_Number)ts.tv_nsec / 1e9);
    return 1;
}

/* Push a table of the four functions as the string table has them now. */
static void push_functions(lua_State *L)
{
    int i;

    lua_newtable(L);
    lua_getglobal(L, "string");
    for (i = 0; names[i]; i++) {
        lua_getfield(L, -1, names[i]);
        lua_setfield(L, -3, names[i]);
    }
    lua_pop(L, 1);
}

/* Compile chunk and call it with the nargs values on the stack. */
static int run_chunk(lua_State *L, const char *chunk, const char *name, int nargs)
{
    int base = lua_gettop(L) - nargs;

    if (luaL_loadbufferx(L, chunk, strlen(chunk), name, "t") != LUA_OK) {
        printf("FAIL loading %s: %s\n", name, lua_tostring(L, -1));
        lua_settop(L, base);
        return 0;
    }
    lua_insert(L, base + 1);
    if (lua_pcall(L, nargs, 0, 0) != LUA_OK) {
        printf("FAIL running %s: %s\n", name, lua_tostring(L, -1));
        lua_settop(L, base);
        return 0;
    }
    return 1;
}

/* ------------------------------------------------------------------ main */

int main(int argc, char **argv)
{
    lua_State *L = luaL_newstate();
    int bench = argc > 1 && strcmp(argv[1], "--bench") == 0;
    double max_time = 0.5;
    int o, n;

    if (argc > 2 && strcmp(argv[1], "--max-time") == 0) {
        max_time = atof(argv[2]);
    }
    else if (argc > 1 && !bench) {
        fprintf(stderr, "usage: patterns_diff [--max-time S] | --bench [N]\n");
        return 2;
    }
    if (L == NULL) {
        fprintf(stderr, "patterns_diff: cannot create a Lua state\n");
        return 2;
    }
    luaL_openlibs(L);
    push_functions(L);
    o = lua_gettop(L);
    lua_getglobal(L, "string");
    art_lua_pattern_open(L, -1, test_check);
    lua_pop(L, 1);
    push_functions(L);
    n = lua_gettop(L);

    if (bench) {
        lua_pushvalue(L, o);
        lua_pushvalue(L, n);
        lua_pushcfunction(L, test_clock);
        lua_pushinteger(L, argc > 2 ? atol(argv[2]) : 1000000);
        n = run_chunk(L, bench_lua, "=bench", 4);
        lua_close(L);
        return n ? 0 : 1;
    }

    lua_pushvalue(L, o);
    lua_pushvalue(L, n);
    lua_pushcfunction(L, test_report);
    if (!run_chunk(L, cases_lua, "=cases", 3)) {
        failed++;
    }
    printf("differential: %ld passed, %ld failed\n", passed, failed);

    puts("budget checks:");
    lua_pushvalue(L, o);
    lua_pushvalue(L, n);
    lua_pushcfunction(L, test_report);
    lua_pushcfunction(L, test_budget);
    lua_pushcfunction(L, test_checks);
    lua_pushcfunction(L, test_thread);
    lua_pushcfunction(L, test_clock);
    lua_pushnumber(L, max_time);
    if (!run_chunk(L, checks_lua, "=checks", 8)) {
        failed++;
    }

    lua_close(L);
    printf("patterns: %ld passed, %ld failed\n", passed, failed);
    return failed ? 1 : 0;
}
