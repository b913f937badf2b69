-- t/seo.t: a filter changes the structured data and the cards of the page
-- model; the module writes what it left (escaped), the template shows it.
return function(page)
  if page.jsonld then
    page.jsonld.headline = page.jsonld.headline .. " (edited)"
    page.jsonld.about = { ["@type"] = "Thing", name = "</script><!--" }
  end
  if page.og then
    page.og[#page.og + 1] = { property = "og:audio",
                              content = "https://seo.example.org/a.mp3" }
  end
end
