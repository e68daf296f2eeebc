/** Words every page shares (the frame around each page's own words). */
export const layoutMessages = {
  /** The `lang` of every page: the language of this catalogue. */
  lang: 'en',
  /** The browser tab: the page's title, then the service's name. */
  documentTitle: (title: string, serviceName: string) => `${title} · ${serviceName}`,
  /** The request id on a page (decision 0028): what the person quotes, the operator finds in the log. */
  reference: 'Reference:',
};
