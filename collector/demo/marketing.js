// Stands in for a marketing tag: it runs only after consent to marketing.
window.vardeDemoMarketingRan = true;
console.log("demo marketing script ran: the visitor consented to marketing");
