// Starts GraphiQL (loaded by the page from lvzhi's embedded copies of React and
// GraphiQL) against this server's endpoint. The endpoint's URL is relative to
// the page, so it works behind a proxy that serves lvzhi under a prefix.
(function () {
  'use strict';
  var defaultQuery = [
    '# lvzhi 履职事项清单 GraphQL 接口。按 Ctrl-Enter 执行。',
    '# schema.graphql 描述每个类型和字段；左侧“文档”按钮可浏览。',
    '{',
    '  dutyLists {',
    '    id title town county publishedOn',
    '    summary { kind dutyCount statedDutyCount }',
    '  }',
    '}',
    ''
  ].join('\n');
  var fetcher = GraphiQL.createFetcher({ url: new URL('graphql', document.baseURI).href });
  var root = ReactDOM.createRoot(document.getElementById('graphiql'));
  root.render(React.createElement(GraphiQL, {
    fetcher: fetcher,
    defaultQuery: defaultQuery,
    defaultEditorToolsVisibility: true
  }));
})();
