// Loaded on pages with widgets only, after require.js and before the ipywidgets embed manager
// (see nb_ipywidgets_js in _config.yml). It fixes two things the embed manager gets wrong on a
// static page; tests/test_book_browser.py fails without them.
(function () {
  "use strict";

  // 1. The embed manager (_static/ansedu-vendor/html-manager/dist/embed-amd.js) defines its
  //    modules by name, and each loads its icon fonts from the folder that require.js believes
  //    the module lives in: the page's own folder unless told otherwise (a missing font for
  //    each). Point every module at dist/, found from this script's own address (it sits in
  //    _static/), so it works from a web server and from files opened directly (file://).
  var dist = new URL("ansedu-vendor/html-manager/dist/", document.currentScript.src).href;
  require.config({
    paths: {
      "@jupyter-widgets/base": dist + "base",
      "@jupyter-widgets/controls": dist + "controls",
      "@jupyter-widgets/html-manager": dist + "html-manager",
      "@jupyter-widgets/html-manager/dist/libembed-amd": dist + "libembed-amd",
    },
  });

  // 2. Widgets typeset their labels with MathJax 2's MathJax.Hub.Queue; the book loads
  //    MathJax 3, which has no Hub. Translate such calls to MathJax 3's typesetPromise.
  var waiting = [];

  function typeset(element) {
    var mathjax = window.MathJax;
    if (mathjax && mathjax.startup && mathjax.startup.promise) {
      mathjax.startup.promise = mathjax.startup.promise
        .then(function () { return mathjax.typesetPromise([element]); })
        .catch(function (error) { console.warn("MathJax could not typeset a widget:", error); });
    } else {
      waiting.push(element);  // MathJax 3 has not started yet
    }
  }

  var hub = {
    Queue: function () {
      for (var i = 0; i < arguments.length; i++) {
        var command = arguments[i];
        if (Array.isArray(command) && command[0] === "Typeset" && command[2]) {
          typeset(command[2]);
        }
      }
    },
  };

  function install() {
    if (window.MathJax && !window.MathJax.Hub) {
      window.MathJax.Hub = hub;
    }
  }

  install();  // on MathJax's configuration object, for calls before MathJax 3 starts
  document.addEventListener("DOMContentLoaded", function () {
    install();  // on the MathJax 3 object that has replaced it by now
    waiting.splice(0).forEach(typeset);
  });
})();
