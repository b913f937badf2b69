-- peer.lua: the mod_lua peer of `make bench` (t/bench/run): the article page of
-- mod_articles, written for Debian's mod_lua (Lua 5.3) the way a capable site
-- owner would, to compare the module with.
--
--   LuaCodeCache forever
--   LuaScope thread
--   LuaPackagePath "DIR/?.lua"          (peer_conf.lua and dates.lua)
--   LuaMapHandler "^/modlua/" "DIR/peer.lua" handle
--
-- peer_conf.lua returns { repo = REPO, base = "/modlua", css = FILE }.  dates
-- is the product's own lua/dates.lua, so the datelines cost the same.
--
-- A Lua state (one per thread) indexes the repository on its first request:
-- each article's head (id, language, dates, title, summary, authors, tags,
-- translation key) is parsed with lua-expat, stopping at <body>, since the
-- index needs nothing below it.  Bodies are parsed when first asked for and
-- kept in the state: a site serves its popular pages again and again.
-- "More on this topic" scores the other articles of the language by shared
-- tags as lua/related.lua asks of articles.related: each shared tag adds 1,
-- best five, ties to the newer then the smaller id, and only the 500 newest
-- articles of each tag are looked at.
--
-- The page is the default templates' article page, markup for markup.  Like
-- most hand-written sites it sends Last-Modified but no ETag.
local lxp = require "lxp"
local conf = require "peer_conf"
local dates = require "dates"

local PER_TAG = 500
local RELATED = 5

local site -- this state's index of the repository; nil until first use

-- ---------------------------------------------------------------- text

local ESC = { ["&"] = "&amp;", ["<"] = "&lt;", [">"] = "&gt;", ['"'] = "&quot;",
              ["'"] = "&#39;" }

local function esc(s)
    return (s:gsub("[&<>\"']", ESC))
end

local function trim(s)
    return (s:gsub("^%s+", ""):gsub("%s+$", ""))
end

local function read_file(path)
    local f = io.open(path, "rb")
    if not f then return nil end
    local s = f:read("a")
    f:close()
    return s
end

-- The text of a small document as a tree: { tag=, attr=, [i] = child|text }.
local function tree(xml)
    local root = { tag = "", attr = {} }
    local stack = { root }
    local p = lxp.new {
        StartElement = function(_, name, attr)
            local node = { tag = name, attr = attr }
            local top = stack[#stack]
            top[#top + 1] = node
            stack[#stack + 1] = node
        end,
        EndElement = function() stack[#stack] = nil end,
        CharacterData = function(_, text)
            local top = stack[#stack]
            top[#top + 1] = text
        end,
    }
    local ok, err = p:parse(xml)
    if ok then ok, err = p:parse() end
    p:close()
    if not ok then return nil, err end
    return root[1]
end

local function text_of(node)
    local out = {}
    for _, c in ipairs(node) do
        out[#out + 1] = type(c) == "string" and c or text_of(c)
    end
    return table.concat(out)
end

local function children(node, tag)
    local out = {}
    for _, c in ipairs(node) do
        if type(c) == "table" and c.tag == tag then out[#out + 1] = c end
    end
    return out
end

-- The text of the first child `tag` in lang, else the one without a language.
local function pick(node, tag, lang)
    local plain
    for _, c in ipairs(children(node, tag)) do
        local l = c.attr["xml:lang"]
        if l == lang then return c end
        if not l and not plain then plain = c end
    end
    return plain
end

-- ---------------------------------------------------------------- the index

local function load_site(repo)
    local s = tree(assert(read_file(repo .. "/site.xml")))
    local st = { langs = {}, lang_list = {}, titles = {}, strings = {},
                 url = trim(text_of(pick(s, "url") or { "" })),
                 email = trim(text_of(pick(s, "email") or { "" })),
                 tagline = pick(s, "tagline") and trim(text_of(pick(s, "tagline"))),
                 default_lang = s.attr["default-lang"] }
    st.host = st.url:gsub("^%a+://", ""):gsub("/.*", "")
    for _, l in ipairs(children(s, "language")) do
        local lang = { code = l.attr.code, dir = l.attr.dir or "ltr", name = l.attr.name }
        st.langs[lang.code] = lang
        st.lang_list[#st.lang_list + 1] = lang
    end
    for _, t in ipairs(children(s, "title")) do
        st.titles[#st.titles + 1] = { lang = t.attr["xml:lang"], text = trim(text_of(t)) }
    end
    local m = children(s, "motto")[1]
    if m then
        st.motto = { lang = m.attr["xml:lang"], lines = {} }
        for _, line in ipairs(children(m, "line")) do
            st.motto.lines[#st.motto.lines + 1] = trim(text_of(line))
        end
    end
    for _, set in ipairs(children(s, "strings")) do
        local t = {}
        for _, str in ipairs(children(set, "string")) do t[str.attr.key] = text_of(str) end
        st.strings[set.attr["xml:lang"]] = t
    end
    return st
end

-- A bio's paragraphs as HTML: each <p>, or the whole text.
local function bio_paragraphs(node)
    local ps = children(node, "p")
    if #ps == 0 then ps = { node } end
    local out = {}
    for i, p in ipairs(ps) do out[i] = esc(trim(text_of(p))) end
    return out
end

local function load_authors(repo)
    local a = tree(assert(read_file(repo .. "/authors.xml")))
    local out = {}
    for _, node in ipairs(children(a, "author")) do
        out[node.attr.id] = { id = node.attr.id, node = node, names = {}, bios = {} }
    end
    return out
end

-- The name and bio of author `a` in lang (falling back to the default).
local function author_in(st, a, lang)
    local name = a.names[lang]
    if not name then
        local n = pick(a.node, "name", lang) or pick(a.node, "name", st.default_lang)
        name = n and trim(text_of(n)) or a.id
        a.names[lang] = name
    end
    local bio = a.bios[lang]
    if bio == nil then
        local b = pick(a.node, "bio", lang) or pick(a.node, "bio", st.default_lang)
        bio = b and bio_paragraphs(b) or false
        a.bios[lang] = bio
    end
    return name, bio
end

-- The head of one article file, up to <body>.
local function read_head(file, coll)
    local xml = read_file(file)
    if not xml then return nil end
    local cut = xml:find("<body", 1, true)
    local head = cut and xml:sub(1, cut - 1) or xml
    local art = { file = file, collection = coll, authors = {}, tags = {} }
    local field, buf
    local p = lxp.new {
        StartElement = function(_, name, attr)
            if name == "article" then
                art.id, art.lang = attr.id, attr["xml:lang"]
                art.published, art.updated = attr.published, attr.updated
                art.translation = attr.translation
            elseif name == "author" then
                art.authors[#art.authors + 1] = attr.ref
            elseif name == "title" or name == "summary" or name == "tag" then
                field, buf = name, {}
            end
        end,
        EndElement = function(_, name)
            if name == field then
                local text = trim(table.concat(buf))
                if name == "tag" then art.tags[#art.tags + 1] = text else art[name] = text end
                field = nil
            end
        end,
        CharacterData = function(_, text)
            if field then buf[#buf + 1] = text end
        end,
    }
    local ok = p:parse(head)
    -- close() ends the document and so complains of the part not given; the
    -- parser is collected all the same.
    pcall(p.close, p)
    if not ok or not art.id or not art.lang then return nil end
    return art
end

local function newer(a, b)
    if a.published ~= b.published then return a.published > b.published end
    return a.id < b.id
end

local function walk(r, dir, coll, out)
    for _, name in ipairs(r:get_direntries(dir) or {}) do
        if name ~= "." and name ~= ".." and name:sub(1, 1) ~= "_" then
            local path = dir .. "/" .. name
            local info = r:stat(path)
            if info and info.filetype == 2 then
                walk(r, path, coll, out)
            elseif name:match("%.xml$") and name ~= "collection.xml" then
                local art = read_head(path, coll)
                if art then out[#out + 1] = art end
            end
        end
    end
end

local function build_index(r)
    local repo = conf.repo
    local st = load_site(repo)
    st.authors = load_authors(repo)
    st.articles, st.by_tag, st.by_translation, st.collections = {}, {}, {}, {}
    local all = {}
    for _, coll in ipairs(r:get_direntries(repo) or {}) do
        local cfile = repo .. "/" .. coll .. "/collection.xml"
        if coll:sub(1, 1) ~= "." and r:stat(cfile) then
            st.collections[coll] = tree(read_file(cfile))
            walk(r, repo .. "/" .. coll, coll, all)
        end
    end
    for _, a in ipairs(all) do
        st.articles[a.lang .. "/" .. a.id] = a
        for _, t in ipairs(a.tags) do
            local key = a.lang .. "\0" .. t
            local list = st.by_tag[key]
            if not list then list = {}; st.by_tag[key] = list end
            list[#list + 1] = a
        end
        if a.translation then
            local g = st.by_translation[a.translation]
            if not g then g = {}; st.by_translation[a.translation] = g end
            g[#g + 1] = a
        end
    end
    for _, list in pairs(st.by_tag) do table.sort(list, newer) end
    st.count = #all
    return st
end

-- ---------------------------------------------------------------- bodies

-- Body markup the repository may use, and the attributes kept on each.
local BLOCK = { h2 = true, h3 = true, p = true, blockquote = true, ul = true,
                ol = true, li = true, figure = true, figcaption = true, pre = true }
local ATTRS = { a = { "href" }, img = { "src", "alt" }, blockquote = { "class" } }
local VOID = { br = true, img = true }

-- The body as HTML, the notes and the signature of one article file.
local function parse_full(file)
    local html, notes, sig = {}, {}, nil
    local in_body, field, buf = false, nil, nil
    local p = lxp.new {
        StartElement = function(_, name, attr)
            if name == "body" then
                in_body = true
            elseif in_body then
                local t = { "<", name }
                for _, k in ipairs(ATTRS[name] or {}) do
                    if attr[k] then t[#t + 1] = " " .. k .. '="' .. esc(attr[k]) .. '"' end
                end
                if attr.dir and BLOCK[name] then t[#t + 1] = ' dir="' .. esc(attr.dir) .. '"' end
                t[#t + 1] = ">"
                html[#html + 1] = table.concat(t)
            elseif name == "note" or name == "signature" then
                field, buf = name, {}
                if name == "signature" then sig = { date = attr.date } end
            end
        end,
        EndElement = function(_, name)
            if name == "body" then
                in_body = false
            elseif in_body then
                if not VOID[name] then html[#html + 1] = "</" .. name .. ">" end
            elseif name == field then
                local text = trim(table.concat(buf))
                if name == "note" then notes[#notes + 1] = text else sig.text = text end
                field = nil
            end
        end,
        CharacterData = function(_, text)
            if in_body then
                html[#html + 1] = esc(text)
            elseif field then
                buf[#buf + 1] = text
            end
        end,
    }
    local xml = read_file(file)
    local ok = xml and p:parse(xml)
    if ok then ok = p:parse() end
    p:close()
    if not ok then return nil end
    return { body = table.concat(html), notes = notes, signature = sig }
end

-- ---------------------------------------------------------------- related

local function related(st, art)
    local score = {}
    for i, t in ipairs(art.tags) do
        local dup = false
        for j = 1, i - 1 do if art.tags[j] == t then dup = true end end
        local list = not dup and st.by_tag[art.lang .. "\0" .. t]
        if list then
            for k = 1, math.min(#list, PER_TAG) do
                local o = list[k]
                if o ~= art then score[o] = (score[o] or 0) + 1 end
            end
        end
    end
    local best = {}
    for o, s in pairs(score) do
        local i = #best
        while i > 0 and (s > best[i][2] or (s == best[i][2] and newer(o, best[i][1]))) do
            i = i - 1
        end
        if i < RELATED then
            table.insert(best, i + 1, { o, s })
            best[RELATED + 1] = nil
        end
    end
    return best
end

-- ---------------------------------------------------------------- the page

local function not_found(r)
    r.status = 404
    r.content_type = "text/plain; charset=utf-8"
    r:puts("not found\n")
    return apache2.OK
end

local function render(st, art, full)
    local base, lang = conf.base, art.lang
    local L = st.langs[lang] or { code = lang, dir = "ltr" }
    local strings = st.strings[lang] or st.strings[st.default_lang] or {}
    local path = "/" .. lang .. "/" .. art.collection .. "/" .. art.id
    local group = art.translation and st.by_translation[art.translation] or { art }
    local in_lang = {}
    for _, a in ipairs(group) do in_lang[a.lang] = a end
    local o = {}
    local function w(...)
        for i = 1, select("#", ...) do o[#o + 1] = select(i, ...) end
    end

    w('<!DOCTYPE html>\n<html lang="', lang, '" dir="', L.dir, '">\n<head>\n',
      '<meta charset="utf-8">\n',
      '<meta name="viewport" content="width=device-width, initial-scale=1">\n',
      '<title>', esc(art.title or ""), ' – ', esc(st.site_title(lang)), '</title>\n',
      '<link rel="canonical" href="', esc(st.url .. base .. path), '">\n')
    local xdefault = path
    for _, l in ipairs(st.lang_list) do
        local t = in_lang[l.code]
        if t then
            local p = "/" .. t.lang .. "/" .. t.collection .. "/" .. t.id
            if l.code == st.default_lang then xdefault = p end
            w('<link rel="alternate" hreflang="', l.code, '" href="',
              esc(st.url .. base .. p), '">\n')
        end
    end
    w('<link rel="alternate" hreflang="x-default" href="', esc(st.url .. base .. xdefault), '">\n')
    if art.summary then
        w('<meta name="description" content="', esc(art.summary), '">\n')
    end
    w('\n<style>\n', st.css, '</style>\n</head>\n<body>\n<div class="page">\n')

    -- the masthead
    local home = base .. "/" .. lang .. "/"
    w('<header class="masthead">\n<p class="site-titles">\n')
    for _, t in ipairs(st.titles) do
        local tl = st.langs[t.lang or lang] or L
        w('<a href="', home, '" lang="', tl.code, '" dir="', tl.dir, '">', esc(t.text), '</a>\n')
    end
    w('</p>\n')
    if st.tagline then w('<p class="tagline" dir="auto">', esc(st.tagline), '</p>\n') end
    if st.motto then
        local ml = st.langs[st.motto.lang] or L
        w('<p class="motto" lang="', ml.code, '" dir="', ml.dir, '">\n')
        for _, line in ipairs(st.motto.lines) do w('<span>', esc(line), '</span>\n') end
        w('</p>\n')
    end
    w('<address class="contact">\n<a href="', esc(st.url), '" dir="ltr">', esc(st.host), '</a>\n')
    if st.email ~= "" then
        w('<a href="mailto:', esc(st.email), '" dir="ltr">', esc(st.email), '</a>\n')
    end
    w('</address>\n<nav class="site-nav">\n<a href="', home, '">', esc(strings.latest or ""),
      '</a>\n<a href="', home, 'authors/">', esc(strings.authors or ""), '</a>\n',
      '<a href="', home, 'search">', esc(strings.search or ""), '</a>\n</nav>\n</header>\n')

    -- the article
    w('<main>\n<article class="story" lang="', lang, '" dir="', L.dir, '">\n<header>\n')
    local c = st.collections[art.collection]
    if c then
        local first = st.titles[1] and st.titles[1].lang
        local t = pick(c, "title", lang) or pick(c, "title", st.default_lang)
        local curl = home .. art.collection .. "/"
        w('<p class="section">\n')
        if t then
            local tl = st.langs[t.attr["xml:lang"] or lang] or L
            w('<a href="', curl, '" lang="', tl.code, '" dir="', tl.dir, '">',
              esc(trim(text_of(t))), '</a>\n')
        end
        local alt = first and first ~= lang and not (t and t.attr["xml:lang"] == first)
            and pick(c, "title", first)
        if alt and alt.attr["xml:lang"] == first then
            local al = st.langs[first] or L
            w('<a href="', curl, '" lang="', first, '" dir="', al.dir, '">',
              esc(trim(text_of(alt))), '</a>\n')
        end
        w('</p>\n')
    end
    local joiners = { en = { ", ", " and " }, de = { ", ", " und " },
                      fa = { "، ", " و " }, ps = { "، ", " او " } }
    local j = joiners[lang] or joiners.en
    w('<p class="byline">')
    local bios = {}
    for i, id in ipairs(art.authors) do
        local a = st.authors[id]
        local name, bio = author_in(st, a, lang)
        local aurl = home .. "authors/" .. id
        local sep = i < #art.authors - 1 and j[1] or (i == #art.authors - 1 and j[2] or "")
        w('<a class="author" href="', aurl, '" rel="author"><bdi>', esc(name), '</bdi></a>', sep)
        if bio then bios[#bios + 1] = { name = name, url = aurl, paragraphs = bio } end
    end
    w('</p>\n<p class="dateline"><time datetime="', art.published, '">',
      esc(dates.dateline(art.published, lang) or art.published), '</time></p>\n',
      '<h1>', esc(art.title or ""), '</h1>\n')
    if art.summary then w('<p class="lede">', esc(art.summary), '</p>\n') end
    for _, t in ipairs(group) do
        if t ~= art then
            w('<p class="also-in" lang="', t.lang, '" dir="auto"><a href="', base, '/', t.lang,
              '/', t.collection, '/', t.id, '" hreflang="', t.lang, '">', esc(t.title or ""),
              '</a></p>\n')
        end
    end
    w('</header>\n<div class="body">\n', full.body, '\n</div>\n')
    for _, n in ipairs(full.notes) do w('<p class="note">', esc(n), '</p>\n') end
    local sig = full.signature
    if sig then
        w('<p class="signature">', esc(sig.text or ""))
        if sig.date then
            w(esc(strings.comma or ","), ' <time datetime="', esc(sig.date), '">',
              esc(dates.long(sig.date, lang) or sig.date), '</time>')
        end
        w('</p>\n')
    end
    for _, b in ipairs(bios) do
        w('<aside class="bio" aria-label="', esc(strings["about-author"] or ""), '">\n')
        for i, para in ipairs(b.paragraphs) do
            w('<p>')
            if i == 1 then
                w('<strong class="bio-name"><a href="', b.url, '"><bdi>', esc(b.name),
                  '</bdi></a></strong> – ')
            end
            w(para, '</p>\n')
        end
        w('</aside>\n')
    end
    w('</article>\n')
    local rel = related(st, art)
    if #rel > 0 then
        w('<section class="related">\n<h2>', esc(strings["more-on-topic"] or ""), '</h2>\n<ul>\n')
        for _, pair in ipairs(rel) do
            local other = pair[1]
            w('<li lang="', other.lang, '" dir="', L.dir, '"><a href="', base, '/', other.lang,
              '/', other.collection, '/', other.id, '">', esc(other.title or ""), '</a>')
            for _, id in ipairs(other.authors) do
                w(' <span class="author"><bdi>', esc((author_in(st, st.authors[id], lang))),
                  '</bdi></span>')
            end
            w('</li>\n')
        end
        w('</ul>\n</section>\n')
    end

    -- the footer: every language, to this article's translation where there is one
    w('\n</main>\n<footer class="site-footer">\n<nav class="languages" aria-label="',
      esc(strings.language or ""), '">\n<ul>\n')
    for _, l in ipairs(st.lang_list) do
        local t = in_lang[l.code]
        local href = t and (base .. "/" .. t.lang .. "/" .. t.collection .. "/" .. t.id)
            or (base .. "/" .. l.code .. "/")
        w('<li><a href="', href, '" lang="', l.code, '" hreflang="', l.code, '" dir="', l.dir,
          '"', l.code == lang and ' aria-current="page"' or '', '>', esc(l.name or l.code),
          '</a></li>\n')
    end
    w('</ul>\n</nav>\n</footer>\n</div>\n</body>\n</html>\n')
    return table.concat(o)
end

function handle(r)
    if r.method ~= "GET" and r.method ~= "HEAD" then
        return 405
    end
    if not site then
        -- Logged before and after, so that t/bench/run can wait for every
        -- state that has started indexing.
        r:notice("PEER0002: indexing " .. conf.repo)
        local t0 = r:clock()
        local st = build_index(r)
        st.css = read_file(conf.css) or ""
        st.bodies = {}
        st.loaded = os.time()
        st.site_title = function(lang)
            for _, t in ipairs(st.titles) do
                if t.lang == lang then return t.text end
            end
            return st.titles[1] and st.titles[1].text or ""
        end
        site = st
        r:notice(string.format("PEER0001: indexed %d articles in %d ms", st.count,
                               (r:clock() - t0) // 1000))
    end
    local lang, id = r.uri:match("^" .. conf.base .. "/([a-z][a-z-]*)/[a-z0-9-]+/([a-z0-9-]+)$")
    local art = lang and site.articles[lang .. "/" .. id]
    if not art or not r.uri:find("/" .. art.collection .. "/", 1, true) then
        return not_found(r)
    end
    local full = site.bodies[art]
    if not full then
        full = parse_full(art.file)
        if not full then return not_found(r) end
        site.bodies[art] = full
    end
    local html = render(site, art, full)
    r.content_type = "text/html; charset=utf-8"
    r.headers_out["Content-Language"] = lang
    r.headers_out["Last-Modified"] = os.date("!%a, %d %b %Y %H:%M:%S GMT", site.loaded)
    r.headers_out["Content-Length"] = tostring(#html)
    if not r.header_only then r:puts(html) end
    return apache2.OK
end
