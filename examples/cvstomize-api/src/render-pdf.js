import PDFDocument from 'pdfkit';

/** Renders a generated résumé as a PDF (A4, standard fonts). Resolves with the whole file. */
export function renderResumePdf(doc) {
  return new Promise((resolve, reject) => {
    const pdf = new PDFDocument({
      size: 'A4',
      margin: 56,
      info: { Title: `${doc.header.name} — résumé`, Creator: 'cvstomize-api' },
    });
    const chunks = [];
    pdf.on('data', (chunk) => chunks.push(chunk));
    pdf.on('end', () => resolve(Buffer.concat(chunks)));
    pdf.on('error', reject);

    const heading = (text) => {
      pdf.moveDown(0.8).font('Helvetica-Bold').fontSize(13).text(text.toUpperCase());
      pdf
        .moveTo(pdf.x, pdf.y)
        .lineTo(pdf.page.width - 56, pdf.y)
        .lineWidth(0.5)
        .stroke();
      pdf.moveDown(0.3).font('Helvetica').fontSize(10.5);
    };

    pdf.font('Helvetica-Bold').fontSize(22).text(doc.header.name);
    if (doc.header.headline) pdf.font('Helvetica').fontSize(12).text(doc.header.headline);
    const contact = [doc.header.email, doc.header.phone].filter(Boolean).join('  ·  ');
    if (contact) pdf.fontSize(10).fillColor('#444').text(contact).fillColor('black');

    for (const section of doc.sections) {
      if (section === 'summary' && doc.summary) {
        heading('Summary');
        pdf.text(doc.summary);
      } else if (section === 'skills' && doc.skills.length > 0) {
        heading('Skills');
        pdf.text(doc.skills.join(' · '));
      } else if (section === 'experience' && doc.experience.length > 0) {
        heading('Experience');
        for (const job of doc.experience) {
          pdf.font('Helvetica-Bold').text(`${job.title}${job.company ? ` — ${job.company}` : ''}`);
          if (job.period) pdf.font('Helvetica-Oblique').fillColor('#444').text(job.period).fillColor('black');
          pdf.font('Helvetica');
          for (const h of job.highlights) pdf.text(`•  ${h}`, { indent: 10 });
          pdf.moveDown(0.4);
        }
      } else if (section === 'education' && doc.education.length > 0) {
        heading('Education');
        for (const e of doc.education) {
          pdf.text([e.degree, e.school, e.year].filter(Boolean).join(', '));
        }
      }
    }
    pdf.end();
  });
}
