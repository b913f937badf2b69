-- articles.negotiate on inputs no HTTP header could carry (t/negotiate.t).
return function(page)
  local many = string.rep("xx;q=0.5,", 10000) .. "ps"
  local t0 = os.clock()
  local hostile = articles.negotiate(many)
  local took = os.clock() - t0
  local cases = {
    tostring(articles.negotiate("fa-AF, en;q=0.5")),
    tostring(articles.negotiate("de", { "en", "fa" })),
    tostring(articles.negotiate("*", { "ps", "en" })),
    tostring(articles.negotiate("")),
    tostring(hostile),
    took < 0.1 and "fast" or "slow",
  }
  page.site.tagline = table.concat(cases, "|")
end
