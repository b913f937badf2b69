-- t/seo.t: a value JSON cannot hold in page.jsonld is an error of the
-- filter's page: a 500 and an ART0016 line, never a broken page.
return function(page)
  if page.jsonld then
    page.jsonld.oops = function() end
  end
end
